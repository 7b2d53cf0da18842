#!/usr/bin/env bash
# Layer-cache benchmark (issue 16; not a test). Builds 20 images that share a large base (made by
# the bench_image example: LAYERS x FILES files x MIB MiB, gzip) and each add one small layer of
# their own (`umoci repack`), all in one OCI layout, plus one image holding every distinct layer
# (the base and the 20 small layers). Then times, best of RUNS:
#   distinct  one `harden scan --no-cache` of the image of the distinct layers (the work floor);
#   no cache  the 20 images as 20 `harden scan --no-cache` processes: every base layer read 20 times;
#   cold      the 20 images in one `harden scan` run on an emptied cache (the base read once);
#   warm      the same run again on the cache the cold run left;
#   processes the 20 images as 20 `harden scan` processes on the warm cache (each applies the base).
# Usage: benches/layer_cache.sh [OUT_DIR] [RUNS] [LAYERS FILES MIB]   (docs/scale.md "Layer cache")
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/harden-cache-bench}
runs=${2:-3}
layers=${3:-4}
files=${4:-5000}
mib=${5:-100}
images=20
command -v umoci >/dev/null || { echo "needs umoci (Debian package umoci)" >&2; exit 1; }
cargo build --release --quiet --bin harden --example bench_image
harden=$PWD/target/release/harden
layout=$out/layout
shape="$layers $files $mib"
if [ "$(cat "$out/shape" 2>/dev/null)" != "$shape" ]; then
  rm -rf "$out"
  mkdir -p "$out"
  ./target/release/examples/bench_image "$out/base" "$layers" "$files" "$mib" >/dev/null
  cp -r "$out/base/gzip" "$layout"
  rm -rf "$out/base"
  python3 - "$layout/index.json" <<'PY'
import json, sys
path = sys.argv[1]
index = json.load(open(path))
index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "base"}
json.dump(index, open(path, "w"))
PY
  # `umoci insert` (0.4.7, Debian's) writes layers whose tar ends mid-block: unpack and repack.
  # A repack diffs against the bundle's base: `bundle` stays on the base (each image's files are
  # removed after its repack), `all` moves on with each repack (the image of the distinct layers).
  umoci unpack --image "$layout:base" "$out/bundle" >/dev/null
  umoci unpack --image "$layout:base" "$out/all" >/dev/null
  for i in $(seq 1 $images); do
    for root in "$out/bundle/rootfs" "$out/all/rootfs"; do
      mkdir -p "$root/srv/app$i"
      printf 'image %s\n' "$i" >"$root/srv/app$i/version"
      head -c 262144 /dev/urandom >"$root/srv/app$i/data"
    done
    umoci repack --image "$layout:img$i" "$out/bundle"
    umoci repack --refresh-bundle --image "$layout:all$i" "$out/all"
    rm -rf "$out/bundle/rootfs/srv"
  done
  rm -rf "$out/bundle" "$out/all"
  echo "$shape" >"$out/shape"
fi

timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
# measure LABEL NAME COMMAND...: best wall time over $runs runs of COMMAND, with its CPU time.
measure() {
  local label=$1 name=$2; shift 2
  local best="" cpu=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$timing" -f "%e %U %S" "$@" >/dev/null
    local seconds user sys
    read -r seconds user sys <<<"$(tail -1 "$timing")"
    if [ -z "$best" ] || awk "BEGIN{exit !($seconds < $best)}"; then
      best=$seconds; cpu=$(awk "BEGIN{print $user + $sys}")
    fi
  done
  printf '%-44s %7.2f s wall %7.2f s CPU\n' "$label" "$best" "$cpu"
  eval "wall_$name=$best"
  eval "cpu_$name=$cpu"
}
scan_all() { # MODE: no-cache | cold | warm | processes
  local cache=$out/cache
  [ "$1" = cold ] && rm -rf "$cache"
  local flag=(--cache-dir "$cache")
  [ "$1" = no-cache ] && flag=(--no-cache)
  local specs=()
  for i in $(seq 1 $images); do specs+=("oci:$layout:img$i"); done
  if [ "$1" = processes ] || [ "$1" = no-cache ]; then
    for spec in "${specs[@]}"; do
      "$harden" scan -q -f json --fail-on never "${flag[@]}" "$spec" >/dev/null
    done
  else
    "$harden" scan -q -f jsonl --fail-on never "${flag[@]}" "${specs[@]}" >/dev/null
  fi
}
export -f scan_all
export out layout harden images

echo "base: $layers layers x $files files x $mib MiB (gzip $(du -sh "$layout" | cut -f1) in all); $images images; $(nproc) cores"
measure "distinct layers, one scan, no cache" distinct "$harden" scan -q -f json --fail-on never --no-cache "oci:$layout:all$images"
measure "$images processes, no cache" nocache bash -c 'scan_all no-cache'
measure "$images images in one run, cold cache" cold bash -c 'scan_all cold'
bash -c 'scan_all warm'
measure "$images images in one run, warm cache" warm bash -c 'scan_all warm'
measure "$images processes, warm cache" processes bash -c 'scan_all processes'
echo "cache: $(du -sh "$out/cache" | cut -f1) on disk"
awk -v c="$wall_cold" -v d="$wall_distinct" 'BEGIN{printf "cold / distinct-layers scan, wall: %.2f (target <= 1.3)\n", c/d}'
awk -v c="$cpu_cold" -v d="$cpu_distinct" 'BEGIN{printf "cold / distinct-layers scan, CPU:  %.2f\n", c/d}'
awk -v c="$wall_cold" -v w="$wall_warm" 'BEGIN{printf "cold / warm, wall: %.1f (target >= 10)\n", c/w}'
awk -v c="$cpu_cold" -v w="$cpu_warm" 'BEGIN{printf "cold / warm, CPU:  %.1f\n", c/w}'
awk -v n="$wall_nocache" -v c="$wall_cold" 'BEGIN{printf "no cache / cold, wall: %.1f\n", n/c}'
