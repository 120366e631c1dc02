#!/usr/bin/env bash
# The portable oracle on x86-64: the checks that the Float80 build passes, with the oracle on ExtendedReal (the
# working type of platforms without Float80, CONFORMANCE.md §3), forced by GNLL_PORTABLE_ORACLE=1.
#
# 1. No Float80 outside the guarded choice of ExactReal (Sources/GaussianNLL/ExactReal.swift) and the tests that
#    compare against it under the same guard: code elsewhere would not build where Float80 does not exist.
# 2. Builds gnll in release in its own scratch path (.build-portable), so the normal .build is not rebuilt.
# 3. gnll golden verify (every case of golden/ must pass).
# 4. gnll verify at the default budget, seed 1, no regression file, against the bundled reference, gnll serve, the
#    NumPy adapter and real PyTorch 2.15.0 (TORCH_PYTHON, default .venv-torch/bin/python).
# 5. The oracle's and the judge's unit tests and the mutation analysis (Tests/MutantsTests: every mutant under
#    every profile it concerns must be killed), built in debug in the same scratch path.
set -euo pipefail
cd "$(dirname "$0")/.."
torch_python="${TORCH_PYTHON:-$PWD/.venv-torch/bin/python}"
scratch=.build-portable
export GNLL_PORTABLE_ORACLE=1

step() {
    echo "--- portable oracle: $*"
}

step "Float80 only where guarded"
unguarded="$(grep -rn --include='*.swift' 'Float80' Sources Tests Fuzz |
    grep -v -e '^Sources/GaussianNLL/ExactReal.swift:' -e '^Tests/GaussianNLLTests/ExtendedRealTests.swift:' |
    grep -v -E '^[^:]+:[0-9]+: *//' || true)"
if [ -n "$unguarded" ]; then
    echo "Float80 outside ExactReal's platform guard:" >&2
    echo "$unguarded" >&2
    exit 1
fi

step "build (release, $scratch)"
swift build -c release --scratch-path "$scratch" --product gnll
gnll="$PWD/$scratch/release/gnll"

step "golden replay"
"$gnll" golden verify --golden-dir golden

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
verify() {
    local name="$1"
    shift
    step "verify: $name"
    "$gnll" verify "$@" --seed 1 --budget default --no-regressions --golden-dir golden --json "$results/$name.json"
}
verify reference --reference
verify served --candidate "$gnll serve"
verify numpy --candidate "python3 Tools/candidates/numpy_candidate.py"
verify torch --candidate "$torch_python Tools/candidates/torch_candidate.py"

step "oracle, judge and mutation tests (debug, $scratch)"
swift test --scratch-path "$scratch" --filter 'GaussianNLLTests|JudgeTests|MutantsTests'
