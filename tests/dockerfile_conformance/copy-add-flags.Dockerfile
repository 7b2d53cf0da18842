FROM golang:1.23 AS build
COPY --link go.mod go.sum ./
COPY --chown=1000:1000 --chmod=0644 . /src
COPY --from=0 /etc/passwd /tmp/
FROM alpine:3.20
COPY --from=build --link /go/bin/app /usr/local/bin/app
COPY ["with space.txt", "/dest dir/"]
COPY --parents ./a/b /dest/
COPY --exclude=*.md . /app/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.invalid/app.tar.gz /tmp/
ADD --keep-git-dir=true https://example.invalid/repo.git#v1 /src
ADD --unpack=false archive.tar.gz /x/
ADD app.tar.gz /opt/
ADD ["a b.txt", "/c/"]
