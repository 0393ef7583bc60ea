#!/usr/bin/env bash
# Peak memory and time of `lpconform run` against the hostile answers of tests/hostile.rs that
# are as large as --max-decode-bytes allows (a 4 MB bitstring, a million `nodes`, 1.39 million
# `capabilities_prices`, a 4 MB transcoder URI, a 4 MB face_value, 580 thousand models, eleven
# 350 kB strings: every test named *makes_small_reports, ignored ones included), release build,
# and the load average.
# The tests themselves check only the report sizes; this prints the figures for README.
# Usage: benches/hostile-answers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (Debian package: time)" >&2; exit 2; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
LPCONFORM_PEAK_RSS=1 cargo test --release --quiet --test hostile makes_small_reports -- --include-ignored --nocapture --test-threads 1 2>&1 |
  grep -o "hostile answer.*"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
