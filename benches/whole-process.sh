#!/usr/bin/env bash
# Whole-process figures for README's performance section: wall time of `lpconform run` against
# the embedded orchestrator (process start, server start, suites, report), and the peak memory
# of fuzz runs at the default and a high concurrency.
# Usage: benches/whole-process.sh [FUZZ_SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds="${1:-60}"
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (Debian package: time)" >&2; exit 2; }

cargo build --release --quiet
binary=target/release/lpconform
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"

runs=5
start=$(date +%s%N)
for _ in $(seq "$runs"); do
  (cd "$scratch" && "$OLDPWD/$binary" run >/dev/null)
done
end=$(date +%s%N)
echo "lpconform run (embedded, built-in suites): $(((end - start) / runs / 1000000)) ms per run, mean of $runs"

/usr/bin/time -f '%M %e' -o "$scratch/time" \
  "$binary" fuzz --duration "${fuzz_seconds}s" --seed 1 --corpus "$scratch/corpus" >"$scratch/fuzz.txt"
read -r peak_kib seconds <"$scratch/time"
echo "lpconform fuzz --duration ${fuzz_seconds}s (embedded): peak RSS $((peak_kib / 1024)) MiB over ${seconds} s"
grep -E "requests|throughput|latency" "$scratch/fuzz.txt" | sed 's/^/  /'

# A batch holds no bodies, so memory grows with the bodies in flight, not with the batch.
/usr/bin/time -f '%M %e' -o "$scratch/time" \
  "$binary" fuzz --duration 10s --seed 1 --concurrency 256 --corpus "$scratch/corpus" >"$scratch/fuzz.txt"
read -r peak_kib seconds <"$scratch/time"
echo "lpconform fuzz --duration 10s --concurrency 256 (embedded): peak RSS $((peak_kib / 1024)) MiB over ${seconds} s"
grep -E "requests" "$scratch/fuzz.txt" | sed 's/^/  /'
