# Shapes seen in real Dockerfiles that BuildKit's parser accepts.
FROM debian:12 AS base
# A RUN whose last continuation was forgotten: `jq` becomes an instruction of its own, which
# BuildKit's parser keeps (with one empty value) and only its build rejects.
RUN apt-get update && apt-get install -y \
    curl
    jq
ONBUILD FETCH --quiet x
# `<<""` names no heredoc: BuildKit's lexer makes no word of an empty quoted string.
RUN cat <<"" <<EOF
body
EOF
RUN echo "" "" done
# BuildKit reads builder flags byte by byte: non-ASCII text comes out as Latin-1, and the second
# byte of `à` (0xA0) separates words.
COPY --chown=usér:staff --chmod=0644 a /b
COPY --chown=à c /d
# A chained ONBUILD (its build rejects it) still parses, with BuildKit's empty value.
ONBUILD ONBUILD RUN x
# A backslash in a heredoc delimiter is processed like a shell escape: the delimiter is `EOF`.
RUN cat <<\EOF > /etc/motd
no $EXPANSION wanted
EOF
# Bash's substring expansion in a RUN line that also opens a heredoc: BuildKit reads any modifier
# after `:` before rejecting it, and leaves an unset variable as written, so the heredoc counts.
RUN echo ${GIT_SHA:0:7} > /version && cat <<EOF > /etc/build-info
sha=${GIT_SHA:0:7}
EOF
