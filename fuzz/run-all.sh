#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS (default 20) each, from a copy of the seed corpus in
# fixtures/corpus (the checked-in seeds are never written to), and prints each target's exec/s
# from libFuzzer's final stats. Exits 1 when a target finds a problem (its reproducer is in
# fuzz/artifacts/TARGET/), 2 when the targets do not build.
#
#   fuzz/run-all.sh [--dev] [--sanitizer NAME] [--keep-corpus DIR] [--crashes DIR] [SECONDS] [TARGET...]
#
# --dev builds without optimizations: about a third of the build time, far fewer runs a second
# (CI uses it to stay within its time budget). The toolchain is nightly when installed, else
# stable; LPCONFORM_FUZZ_TOOLCHAIN overrides. --sanitizer (default none: every target is safe
# Rust, and none is the one setting stable can build; address needs nightly; also
# LPCONFORM_FUZZ_SANITIZER). The deep campaign (ci/github/lpconform-fuzz-campaign.yml) runs
#   fuzz/run-all.sh --sanitizer address --keep-corpus out/corpus --crashes out/crashes 600
# --keep-corpus DIR minimises each target's grown corpus with `cargo fuzz cmin` into DIR/TARGET;
# --crashes DIR copies each reproducer there beside a file with its replay command.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=()
sanitizer="${LPCONFORM_FUZZ_SANITIZER:-none}"
keep_corpus=""
crashes=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) profile=(--dev); shift ;;
    --sanitizer) sanitizer="${2:?--sanitizer needs a value}"; shift 2 ;;
    --keep-corpus) keep_corpus="${2:?--keep-corpus needs a directory}"; shift 2 ;;
    --crashes) crashes="${2:?--crashes needs a directory}"; shift 2 ;;
    --*) echo "run-all.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
seconds="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(decode_static_dynamic rules_on_decoded rules_on_arbitrary_info)
fi
if [ -z "${LPCONFORM_FUZZ_TOOLCHAIN:-}" ]; then
  if cargo +nightly --version >/dev/null 2>&1; then
    LPCONFORM_FUZZ_TOOLCHAIN=nightly
  else
    LPCONFORM_FUZZ_TOOLCHAIN=stable
  fi
fi
fuzz=(cargo "+$LPCONFORM_FUZZ_TOOLCHAIN" fuzz)
options=(--sanitizer "$sanitizer" "${profile[@]}")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! (cd fuzz && "${fuzz[@]}" build "${options[@]}") >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 2
fi

status=0
summary=()
for target in "${targets[@]}"; do
  mkdir -p "$work/corpus/$target"
  cp fixtures/corpus/"$target"/* "$work/corpus/$target/"
  log="$work/$target.log"
  # -print_final_stats=1 ends the log with stat::average_exec_per_sec and friends.
  if (cd fuzz && "${fuzz[@]}" run "${options[@]}" "$target" "$work/corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1) >"$log" 2>&1; then
    verdict="ok"
  else
    verdict="FAILED (reproducer in fuzz/artifacts/$target/)"
    status=1
    grep -v '^#' "$log" | tail -n 40 >&2
  fi
  if [ -n "$crashes" ] && [ -d "fuzz/artifacts/$target" ]; then
    mkdir -p "$crashes/$target"
    for artifact in fuzz/artifacts/"$target"/*; do
      [ -f "$artifact" ] || continue
      cp "$artifact" "$crashes/$target/"
      printf 'cd fuzz && cargo +%s fuzz run %s %s %s\n' "$LPCONFORM_FUZZ_TOOLCHAIN" "${options[*]}" "$target" \
        "artifacts/$target/$(basename "$artifact")" >"$crashes/$target/$(basename "$artifact").replay"
    done
  fi
  if [ -n "$keep_corpus" ]; then
    mkdir -p "$keep_corpus/$target"
    (cd fuzz && "${fuzz[@]}" cmin "${options[@]}" "$target" "$work/corpus/$target") >"$work/$target.cmin.log" 2>&1 \
      || echo "cmin of $target failed (see its log): keeping the corpus as it grew" >&2
    cp "$work/corpus/$target"/* "$keep_corpus/$target/" 2>/dev/null || true
  fi
  execs="$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -n 1)"
  runs="$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n 1)"
  coverage="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
  summary+=("$(printf '%-24s %7s exec/s %9s runs  cov %5s  %s' \
    "$target" "${execs:-?}" "${runs:-?}" "${coverage:-?}" "$verdict")")
done

printf '\n%ss per target, cargo +%s fuzz %s\n' "$seconds" "$LPCONFORM_FUZZ_TOOLCHAIN" "${options[*]}"
printf '%s\n' "${summary[@]}"
exit "$status"
