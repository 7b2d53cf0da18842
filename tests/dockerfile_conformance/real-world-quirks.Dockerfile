# Shapes seen in real Dockerfiles that BuildKit's parser accepts.
FROM debian:12 AS base
# `<<""` names no heredoc: BuildKit's lexer makes no word of an empty quoted string.
RUN cat <<"" <<EOF
body
EOF
RUN echo "" "" done
