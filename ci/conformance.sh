#!/usr/bin/env bash
# Conformance gate for an orchestrator release.
#
# Starts the orchestrator under test from its own command line, waits until its port answers,
# runs `lpconform run` against it with the operator's expectations and the known failures the
# release accepts, writes JUnit, JSON, HTML and the terminal report to --out, compares the answers
# with the snapshots recorded for the previous release (a changed capability, price or field
# fails, with a diff) and, given the previous release's JSON report, writes what changed since
# (compare.txt, compare.html; a rule that newly fails or warns fails the gate). A run that could
# not judge the orchestrator (exit 2) is compared with nothing: its report says nothing about the
# release.
#
#   ci/conformance.sh --target URL [options] -- ORCHESTRATOR COMMAND LINE...
#
# For go-livepeer off chain (it advertises no price off chain, so none is expected):
#   ci/conformance.sh --target https://127.0.0.1:8935 --profile go-livepeer-offchain \
#     --snapshots conformance/snapshots --known-failures conformance/known-failures.yaml \
#     --previous-report conformance/previous-report.json --expect serviceAddr=127.0.0.1:8935 \
#     -- livepeer -orchestrator -transcoder -network offchain -serviceAddr 127.0.0.1:8935
#
# Options:
#   --target URL          where the orchestrator listens (https://host:port or http://host:port)
#   --profile NAME        snapshot set to compare with (default: release)
#   --snapshots DIR       directory of snapshot sets (default: ci/snapshots beside this script)
#   --out DIR             where reports and the orchestrator's log go (default: conformance-out)
#   --expect KEY=VALUE    what the orchestrator was configured with (repeatable; see lpconform run --help)
#   --ready-timeout SECS  how long to wait for the orchestrator's port (default: 60)
#   --known-failures FILE rule failures the release accepts for now (lpconform run --known-failures);
#                         an entry that no longer fails or has expired fails the gate
#   --remote-signer URL   sign discovery with a go-livepeer remote signer (on-chain orchestrators
#                         answer only a funded gateway)
#   --previous-report FILE the previous release's report.json: compare.txt and compare.html in --out
#                         say what changed; a rule that newly fails or warns fails the gate
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
extra_run_args=()
previous_report=""

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
    --known-failures) extra_run_args+=(--known-failures "$(value_of "$@")"); shift 2 ;;
    --remote-signer) extra_run_args+=(--remote-signer "$(value_of "$@")"); shift 2 ;;
    --previous-report) previous_report="$(value_of "$@")"; shift 2 ;;
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
if [[ -n "$previous_report" && ! -f "$previous_report" ]]; then
  usage_error "--previous-report '$previous_report' is not a file (the first release has none: leave the option out)"
fi

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
if ((${#extra_run_args[@]})); then
  run_args+=("${extra_run_args[@]}")
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
  1) echo "== findings, stale known failures or changed snapshots: see the FAIL and STALE lines and diffs above, $out/report.html and $out/junit.xml" ;;
  *) echo "== lpconform could not run (exit $status)" ;;
esac

if [[ -n "$previous_report" ]] && ((status != 0 && status != 1)); then
  echo
  echo "== not compared with the previous release: this run could not judge the orchestrator (exit $status)"
elif [[ -n "$previous_report" && -f "$out/report.json" ]]; then
  echo
  echo "== lpconform compare $previous_report $out/report.json"
  set +e
  NO_COLOR=1 "$lpconform" compare "$previous_report" "$out/report.json" --format html >"$out/compare.html"
  "$lpconform" compare "$previous_report" "$out/report.json" | tee "$out/compare.txt"
  compared=${PIPESTATUS[0]}
  set -e
  # Worse than the previous release fails a gate that otherwise passed; an unreadable report is exit 2.
  if ((compared == 2 || (compared == 1 && status == 0))); then
    status=$compared
  fi
  case "$compared" in
    0) echo "== not worse than the previous release ($out/compare.html)" ;;
    1) echo "== worse than the previous release: see the new_failure and new_warning lines above, $out/compare.html" ;;
    *) echo "== the previous release's report could not be compared (exit $compared)" ;;
  esac
fi
exit "$status"
