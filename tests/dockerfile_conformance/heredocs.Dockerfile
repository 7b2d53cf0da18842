# syntax=docker/dockerfile:1
FROM alpine:3.20
RUN <<EOF
set -e
apk add --no-cache curl
EOF
RUN <<-EOT sh -s
	echo "tabs are stripped"
	EOT
RUN <<"QUOTED" cat > /quoted
$HOME stays literal
QUOTED
RUN <<'SINGLE'
echo '$x'
SINGLE
RUN cat <<FIRST > /a && cat <<SECOND > /b
one
FIRST
two
SECOND
RUN 3<<FD3 cat /dev/fd/3
fd three
FD3
COPY <<conf.ini /etc/app/
[app]
port = 8080
conf.ini
COPY --chmod=755 <<EOF /usr/local/bin/entry
#!/bin/sh
exec "$@"
EOF
RUN python3 <<PY
print("heredoc with an interpreter")
PY
RUN echo "<<NOT a heredoc in quotes" && echo done
RUN ["sh", "-c", "echo <<EOF"]
RUN --mount=type=cache,target=/root/.cache <<EOF
pip install -r requirements.txt
EOF
ONBUILD RUN <<EOF
echo onbuild
EOF
