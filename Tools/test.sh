#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a Debian machine with the Swift toolchain:
# installs what is missing (Tools/setup.sh --test-tools --torch), then runs every stage below and closes with
# "N passed, N failed" over the stages. Exits non-zero when any stage fails.
set -uo pipefail
cd "$(dirname "$0")/.."

bash Tools/setup.sh --test-tools --torch || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export PATH="$PWD/.build/release:$PATH"
torch_python="$PWD/.venv-torch/bin/python"

passed=0
failed=0
failures=()
stage() {
    local name="$1"
    shift
    echo "=== $name"
    local started=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "--- $name: ok ($((SECONDS - started)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "--- $name: FAILED ($((SECONDS - started)) s)"
    fi
}

verify_candidate() {
    local name="$1" command="$2"
    local results
    results="$(mktemp -d)/$name.json"
    gnll verify --candidate "$command" --budget default --json "$results"
}

stage "swift format lint" swift format lint -r -s --configuration .swift-format Sources Tests
stage "swift build (release)" swift build -c release --product gnll
stage "swift test" swift test
stage "golden replay against the reference" gnll golden verify
# Allocation counts per call of the reference, oracle, judge, protocol coding and an in-process verify, against the
# thresholds committed for this Swift version (PERFORMANCE.md, "Benchmark gate"). Builds Benchmarks/ in release mode.
stage "benchmark gate: allocation counts (Benchmarks/Thresholds)" bash Tools/check_benchmarks.sh
stage "behaviour snapshots (verify: reference, gnll serve, NumPy, a mutant)" bash Tools/check_behaviour.sh
stage "golden reproducibility (torch 2.15.0 re-export)" bash Tools/check_reproducible.sh
stage "python tests (candidates, golden comparison)" "$torch_python" -m pytest -q -p no:cacheprovider Tools/candidates/tests Tools/tests
stage "verify: reference via gnll serve" verify_candidate served "gnll serve"
stage "verify: numpy candidate" verify_candidate numpy "python3 Tools/candidates/numpy_candidate.py"
stage "verify: real PyTorch 2.15.0" verify_candidate torch "$torch_python Tools/candidates/torch_candidate.py"
stage "wheel: built from the checkout, installed in a fresh venv, verified without the Swift toolchain" \
    bash Tools/check_wheel.sh
stage "portable oracle (ExtendedReal): golden replay, verify, oracle/judge/mutation tests" \
    env TORCH_PYTHON="$torch_python" bash Tools/check_portable_oracle.sh

# Real third-party implementations, gated on their expected-failure lists (CONFORMANCE.md, "Implementations").
verify_library() {
    local name="$1"
    bash Tools/setup_candidate.sh "$name" &&
        gnll verify --candidate ".venv-$name/bin/python Tools/candidates/${name}_candidate.py" --budget default \
            --no-regressions --expected-failures "Tools/candidates/expected/$name.txt"
}
stage "verify: MLX against its expected failures" verify_library mlx
stage "verify: PaddlePaddle against its expected failures" verify_library paddle
stage "results matrix in CONFORMANCE.md is current" bash Tools/update_results.sh --check
# Each libFuzzer target for 30 s (the golden reader past crashes, which inside libhdf5 are outside the suite), then
# every committed corpus and regression input once.
fuzz_pass() {
    Tools/fuzz build &&
        Tools/fuzz run --seconds 30 --seed 1 FuzzResponseDecoder FuzzShapes FuzzJudge FuzzReference &&
        Tools/fuzz run --seconds 30 --seed 1 --keep-going FuzzGoldenReader &&
        Tools/fuzz replay
}
stage "fuzz: 30 s per libFuzzer target, replay of the corpora and regression inputs" fuzz_pass

if [ "$failed" -gt 0 ]; then echo "failed stages: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
