# syntax=docker/dockerfile:1.7
# check=skip=JSONArgsRecommended
# escape=\

# a comment after the directives
FROM busybox
# syntax=ignored-here
RUN echo hi
