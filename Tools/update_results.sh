#!/usr/bin/env bash
# Regenerate the results matrix of CONFORMANCE.md: run `gnll verify` (seed 1, default budget) against every
# implementation whose environment exists here, write Tools/results/NAME.json, and rewrite the section.
#   Tools/update_results.sh [NAME...]  run every available entry (or the named ones), then update CONFORMANCE.md
#   Tools/update_results.sh --check    CI: re-run the entries CI installs into a temporary folder and fail when
#                                      their rows differ from the committed section, or when the release table
#                                      differs from what Tools/results/releases/ gives, or PyTorch's margins
#                                      table from what `gnll golden verify --margins` gives
# Entries whose environment is missing keep their committed results file.
set -uo pipefail
cd "$(dirname "$0")/.."
gnll="${GNLL:-.build/release/gnll}"
[ -x "$gnll" ] || swift build -c release --product gnll

# name | environment that must exist ("" for none) | gnll verify arguments. The third-party libraries that import
# slowly or compile per call (JAX, MindSpore, Inductor's gcc, ONNX export) get a longer per-case --timeout than the
# default 10 s, so that a slow first call on a loaded machine is not counted as a hang. torch.compile compiles every
# new signature with gcc: its default-budget run takes about 80 minutes on a 2-core machine.
entries=(
    "reference||--reference"
    "numpy||--candidate 'python3 Tools/candidates/numpy_candidate.py'"
    "pytorch-2.15.0|.venv-torch|--candidate '.venv-torch/bin/python Tools/candidates/torch_candidate.py'"
    "pytorch-2.9.1|.venv-torch-2.9.1|--candidate '.venv-torch-2.9.1/bin/python Tools/candidates/torch_candidate.py'"
    "pytorch-2.1.2|.venv-torch-2.1.2|--candidate '.venv-torch-2.1.2/bin/python Tools/candidates/torch_candidate.py'"
    "mlx|.venv-mlx|--candidate '.venv-mlx/bin/python Tools/candidates/mlx_candidate.py'"
    "paddle|.venv-paddle|--candidate '.venv-paddle/bin/python Tools/candidates/paddle_candidate.py'"
    "mindspore|.venv-mindspore|--candidate '.venv-mindspore/bin/python Tools/candidates/mindspore_candidate.py' --timeout 60"
    "torchax|.venv-torchax|--candidate '.venv-torchax/bin/python Tools/candidates/torchax_candidate.py' --timeout 60"
    "torch-compile|.venv-torch|--candidate '.venv-torch/bin/python Tools/candidates/torch_compile_candidate.py' --timeout 300"
    "onnxruntime|.venv-onnx|--candidate '.venv-onnx/bin/python Tools/candidates/onnxruntime_candidate.py' --timeout 60"
    "torch-xla|.venv-torch-xla|--candidate '.venv-torch-xla/bin/python Tools/candidates/torch_xla_candidate.py' --timeout 60"
)
ci_entries=" reference numpy pytorch-2.15.0 mlx paddle "

check=false
status=0
only=" "
if [ "${1:-}" = "--check" ]; then
    check=true
else
    for name in "$@"; do only+="$name "; done
fi
out=Tools/results
$check && { out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT; }

for entry in "${entries[@]}"; do
    IFS='|' read -r name environment arguments <<<"$entry"
    if $check && [[ "$ci_entries" != *" $name "* ]]; then continue; fi
    if [ "$only" != " " ] && [[ "$only" != *" $name "* ]]; then continue; fi
    if [ -n "$environment" ] && [ ! -d "$environment" ]; then
        echo "skip $name: $environment is missing"
        continue
    fi
    echo "verify $name"
    eval "$gnll verify $arguments --seed 1 --budget default --quiet --no-regressions --json '$out/$name.json'" \
        >/dev/null
    [ -f "$out/$name.json" ] || { echo "error: no results for $name"; status=2; }
done

# The release table (CONFORMANCE.md §1) is generated from the committed Tools/results/releases/ files, which
# Tools/sweep_releases.sh writes (it installs every PyTorch release, far too slow for CI): --check re-generates it
# from those files and fails when the committed table differs.
if $check; then
    python3 Tools/results_matrix.py check "$out" || status=1
    python3 Tools/release_table.py check || status=1
else
    python3 Tools/results_matrix.py update
    python3 Tools/release_table.py update
fi

# PyTorch's measured margins (CONFORMANCE.md §3) come from `gnll golden verify --margins` on the committed golden
# files: --check fails when the committed table differs, otherwise the table is rewritten.
margins="$("$gnll" golden verify --margins | grep '^|')" || { echo "error: gnll golden verify --margins failed"; status=1; }
if [ -n "$margins" ]; then
    MARGINS="$margins" CHECK="$check" python3 - <<'PYTHON' || status=1
import os, sys
begin, end = "<!-- BEGIN margins (generated: gnll golden verify --margins) -->", "<!-- END margins -->"
text = open("CONFORMANCE.md").read()
start, stop = text.index(begin) + len(begin), text.index(end)
table = "\n" + os.environ["MARGINS"] + "\n"
if os.environ["CHECK"] == "true":
    if text[start:stop] != table:
        sys.exit("CONFORMANCE.md: the margins table differs from gnll golden verify --margins; run Tools/update_results.sh")
elif text[start:stop] != table:
    open("CONFORMANCE.md", "w").write(text[:start] + table + text[stop:])
    print("CONFORMANCE.md: margins table updated")
PYTHON
fi
exit $status
