#!/usr/bin/env bash
# Conformance gate for an orchestrator release.
#
# Starts the orchestrator under test from its own command line, waits until its port answers,
# runs `lpconform run` against it with the operator's expectations, writes JUnit, JSON, HTML and
# the terminal report to --out, and compares the answers with the snapshots recorded for the
# previous release (a changed capability, price or field fails, with a diff).
#
#   ci/conformance.sh --target URL [options] -- ORCHESTRATOR COMMAND LINE...
#
# For go-livepeer:
#   ci/conformance.sh --target https://127.0.0.1:8935 --profile go-livepeer-offchain \
#     --snapshots ci/snapshots --expect pricePerUnit=1000 --expect pixelsPerUnit=1 \
#     -- livepeer -orchestrator -transcoder -serviceAddr 127.0.0.1:8935 \
#        -pricePerUnit 1000 -pixelsPerUnit 1 -network offchain
#
# Options:
#   --target URL          where the orchestrator listens (https://host:port or http://host:port)
#   --profile NAME        snapshot set to compare with (default: release)
#   --snapshots DIR       directory of snapshot sets (default: ci/snapshots beside this script)
#   --out DIR             where reports and the orchestrator's log go (default: conformance-out)
#   --expect KEY=VALUE    what the orchestrator was configured with (repeatable; see lpconform run --help)
#   --ready-timeout SECS  how long to wait for the orchestrator's port (default: 60)
#   --record              record the snapshots instead of comparing (first release, or accepted changes)
#   --lpconform BIN       the lpconform binary (default: $LPCONFORM, else lpconform on PATH)
#   --                    everything after it is the orchestrator's command line
#
# Exit codes, as lpconform's: 0 conformant and unchanged, 1 findings or changed snapshots,
# 2 usage error, or the orchestrator did not start.

set -euo pipefail

usage_error() {
  echo "conformance.sh: $*" >&2
  echo "usage: ci/conformance.sh --target URL [options] -- ORCHESTRATOR COMMAND LINE..." >&2
  exit 2
}

script_dir="$(cd "$(dirname "$0")" && pwd)"
target=""
profile="release"
snapshots="$script_dir/snapshots"
out="conformance-out"
ready_timeout=60
record=0
lpconform="${LPCONFORM:-lpconform}"
expects=()

# The value of option $1, which must be present.
value_of() {
  (($# >= 2)) || usage_error "$1 needs a value"
  printf '%s' "$2"
}

while (($#)); do
  case "$1" in
    --target) target="$(value_of "$@")"; shift 2 ;;
    --profile) profile="$(value_of "$@")"; shift 2 ;;
    --snapshots) snapshots="$(value_of "$@")"; shift 2 ;;
    --out) out="$(value_of "$@")"; shift 2 ;;
    --expect) expects+=(--expect "$(value_of "$@")"); shift 2 ;;
    --ready-timeout) ready_timeout="$(value_of "$@")"; shift 2 ;;
    --record) record=1; shift ;;
    --lpconform) lpconform="$(value_of "$@")"; shift 2 ;;
    --) shift; break ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

[[ -n "$target" ]] || usage_error "--target is required"
(($#)) || usage_error "give the orchestrator's command line after --"
[[ "$ready_timeout" =~ ^[0-9]+$ ]] || usage_error "--ready-timeout '$ready_timeout' is not a number of seconds"

# host and port from the URL, for the readiness check.
if [[ ! "$target" =~ ^(https?)://(\[[^]]+\]|[^:/]+)(:([0-9]+))?/?$ ]]; then
  usage_error "--target '$target' is not http(s)://host[:port]"
fi
host="${BASH_REMATCH[2]}"
host="${host#[}"
host="${host%]}"
port="${BASH_REMATCH[4]:-8935}"
command -v "$lpconform" >/dev/null || usage_error "lpconform binary '$lpconform' not found (set --lpconform or \$LPCONFORM)"

mkdir -p "$out" "$snapshots"
log="$out/orchestrator.log"

# The orchestrator runs in its own process group so that everything it starts stops with it.
setsid "$@" >"$log" 2>&1 &
orchestrator=$!
stop_orchestrator() {
  kill -TERM -- "-$orchestrator" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$orchestrator" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL -- "-$orchestrator" 2>/dev/null || true
}
trap stop_orchestrator EXIT

echo "== orchestrator: $* (log: $log)"
deadline=$((SECONDS + ready_timeout))
until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
  if ! kill -0 "$orchestrator" 2>/dev/null; then
    echo "conformance.sh: the orchestrator exited before its port $host:$port opened; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 2
  fi
  if ((SECONDS >= deadline)); then
    echo "conformance.sh: $host:$port did not open within ${ready_timeout}s; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 2
  fi
  sleep 0.5
done
echo "== ready: $host:$port"

run_args=(run --target "$target" --profile "$profile" --snapshots "$snapshots"
  --junit "$out/junit.xml" --report-json "$out/report.json" --report-html "$out/report.html")
if ((${#expects[@]})); then
  run_args+=("${expects[@]}")
fi
if ((record)); then
  run_args+=(--update-snapshots)
fi

echo "== lpconform ${run_args[*]}"
set +e
NO_COLOR=1 "$lpconform" "${run_args[@]}" | tee "$out/report.txt"
status=${PIPESTATUS[0]}
set -e

echo
case "$status" in
  0) echo "== conformant; snapshots ($snapshots/$profile) $( ((record)) && echo recorded || echo unchanged)" ;;
  1) echo "== findings or changed snapshots: see the FAIL lines and diffs above, $out/report.html and $out/junit.xml" ;;
  *) echo "== lpconform could not run (exit $status)" ;;
esac
exit "$status"
