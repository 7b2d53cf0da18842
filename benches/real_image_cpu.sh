#!/usr/bin/env bash
# CPU cost of `harden scan` against the floor (inflate + sha256 of blob and tar + tar walk of the
# same blobs, examples/layer_baseline.rs) on a realistic image: 7 gzip layers committed by buildah
# from this machine's /usr (binaries, headers, docs, shared libraries: many small files, as real
# images have), interleaved runs. Issue 16's target: harden's CPU at most 1.2x the floor.
# Usage: benches/real_image_cpu.sh [OUT_DIR] [RUNS]   (docs/development.md "Performance")
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/harden-real-bench}
runs=${2:-3}

cargo build --release --quiet --bin harden --example layer_baseline
if [ ! -f "$out/index.json" ]; then
  export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
  ctr=$(buildah from scratch)
  for dir in /usr/bin /usr/include /usr/share /usr/lib/x86_64-linux-gnu /usr/lib/python3 /usr/lib/gcc /usr/libexec; do
    [ -d "$dir" ] || continue
    buildah copy "$ctr" "$dir" "$dir" >/dev/null
    buildah commit -q --disable-compression=false "$ctr" harden-real-bench >/dev/null
    next=$(buildah from harden-real-bench)
    buildah rm "$ctr" >/dev/null
    ctr=$next
  done
  buildah rm "$ctr" >/dev/null
  buildah push -q --disable-compression=false harden-real-bench "oci:$out:latest"
fi
mapfile -t blobs < <(find "$out/blobs/sha256" -type f -size +1M | sort)
echo "image: ${#blobs[@]} gzip layers, $(du -shc "${blobs[@]}" | tail -1 | cut -f1); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
cpu() { /usr/bin/time -o "$timing" -f "%U %S %e %M" "$@" >/dev/null 2>&1; awk '{printf "%.2f %.2f %d\n", $1 + $2, $3, $4 / 1024}' "$timing"; }
floor_sum=0 harden_sum=0
for run in $(seq "$runs"); do
  read -r floor floor_wall _ < <(cpu ./target/release/examples/layer_baseline "${blobs[@]}")
  read -r harden harden_wall rss < <(cpu ./target/release/harden scan --no-cache --format json --fail-on never "oci:$out")
  printf 'run %d: floor %5.2f CPU-s (%5.2f s wall)  harden scan %5.2f CPU-s (%5.2f s wall, %d MiB peak RSS)\n' \
    "$run" "$floor" "$floor_wall" "$harden" "$harden_wall" "$rss"
  floor_sum=$(awk "BEGIN{print $floor_sum + $floor}")
  harden_sum=$(awk "BEGIN{print $harden_sum + $harden}")
done
awk -v h="$harden_sum" -v f="$floor_sum" 'BEGIN{printf "harden/floor CPU ratio: %.2f\n", h/f}'
