# syntax=docker/dockerfile:1
# harden in a container: a static (musl) binary on an empty base, run as a non-root user.
#   docker build -t harden .
#   docker run --rm -v "$PWD:/work" -w /work harden scan --dockerfile Dockerfile
# CI cannot pull the base images (no network); tests/container_image.rs builds the same final image
# from the locally compiled binary with buildah and scans it with harden.
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
# On Alpine the default target is musl, linked statically.
RUN cargo build --release --locked --bin harden && strip target/release/harden

FROM scratch
COPY --from=build /src/target/release/harden /harden
# 65532: the conventional "nonroot" uid (distroless); no /etc/passwd is needed for a numeric user.
USER 65532:65532
ENTRYPOINT ["/harden"]
CMD ["--help"]
