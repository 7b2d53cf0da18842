FROM debian:12
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --network=none \
    apt-get update && apt-get install -y --no-install-recommends ca-certificates
RUN --mount=type=bind,from=build,source=/out,target=/mnt cp /mnt/app /app
RUN --mount=type=ssh git clone git@example.invalid:org/repo.git
RUN --network=host curl -fsS http://localhost:8080/
RUN --security=insecure mount -t tmpfs none /mnt
RUN --network host echo "space form: host is part of the command for BuildKit"
RUN --mount="type=tmpfs,target=/tmp quoted" true
RUN -- --not-a-flag
RUN --device=/dev/fuse echo device
