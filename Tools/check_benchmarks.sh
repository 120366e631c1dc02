#!/usr/bin/env bash
# The benchmark gate: runs the Benchmarks package (ordo-one/benchmark) and checks every benchmark's allocation count
# per call (p90 over its samples) against the thresholds committed for this Swift version, in
# Benchmarks/Thresholds/<major.minor>/GNLLBenchmarks.<benchmark>.p90.json. Wall time is printed, never checked.
#
#   Tools/check_benchmarks.sh            check: exit 0 when every count equals its threshold (within the benchmark's
#                                        tolerance), 1 when one is higher (a regression) or lower (stale thresholds:
#                                        re-record them), or when the benchmarks cannot be built or run
#   Tools/check_benchmarks.sh --update   run the benchmarks and write their counts as the thresholds (then commit them)
#
# The counts are deterministic: the same build gives the same count on every run, whatever the machine's load. The
# first build of the package (the root package in release mode, and ordo-one/benchmark) takes a few minutes; it goes
# to Benchmarks/.build. PERFORMANCE.md, "Benchmark gate", says what is measured and how the gate was shown to fail.
set -uo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../Benchmarks"

mode=check
case "${1:-}" in
"") ;;
--update) mode=update ;;
-h | --help)
    sed -n '2,13p' "$script" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "error: unknown argument '$1' (use --update, or no argument to check)" >&2
    exit 2
    ;;
esac

swift_version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -1)
if [ -z "$swift_version" ]; then
    echo "error: cannot read the Swift version from 'swift --version'" >&2
    exit 2
fi
thresholds="Thresholds/$swift_version"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if [ "$mode" = update ]; then
    mkdir -p "$thresholds"
    rm -f "$thresholds"/*.p90.json
    swift package --allow-writing-to-package-directory benchmark thresholds update --path "$thresholds" \
        --no-progress 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "error: the benchmarks failed to build or run" >&2; exit 1; }
    # Keep the gated counts only: wall time is reported, never a threshold.
    python3 - "$thresholds" <<'PY' || exit 1
import json, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.p90.json")):
    values = {k: v for k, v in json.loads(path.read_text()).items() if k != "wallClock"}
    path.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")
    print(f"{path}: {values}")
PY
    echo "thresholds for Swift $swift_version written to Benchmarks/$thresholds: review and commit them"
    exit 0
fi

if ! ls "$thresholds"/*.p90.json >/dev/null 2>&1; then
    echo "error: no thresholds for Swift $swift_version in Benchmarks/$thresholds:" \
        "record them with 'Tools/check_benchmarks.sh --update' and commit them" >&2
    exit 1
fi
# Run once into a baseline (ignored by git), print it (wall time included, to read), then check its counts.
swift package --allow-writing-to-package-directory benchmark baseline update gate --no-progress 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "benchmark gate FAILED: the benchmarks did not build or run (above)" >&2; exit 1; }
swift package benchmark baseline read gate --no-progress 2>&1
swift package benchmark thresholds check gate --path "$thresholds" --no-progress 2>&1 | tee "$log"
status="${PIPESTATUS[0]}"
if [ "$status" -eq 0 ]; then
    echo "benchmark gate: every allocation count equals its threshold for Swift $swift_version"
    exit 0
fi
if grep -q "benchmarkThresholdRegression" "$log"; then
    echo "benchmark gate FAILED: a benchmark allocates more than its threshold for Swift $swift_version (above)." \
        "If the extra allocations are intended, re-record with 'Tools/check_benchmarks.sh --update' and commit." >&2
elif grep -q "benchmarkThresholdImprovement" "$log"; then
    echo "benchmark gate FAILED: a benchmark allocates less than its threshold for Swift $swift_version (above):" \
        "the thresholds are stale; re-record them with 'Tools/check_benchmarks.sh --update' and commit them," \
        "so that the allocations saved cannot come back unnoticed." >&2
else
    echo "benchmark gate FAILED: the benchmarks did not build or run (exit status $status, above)" >&2
fi
exit 1
