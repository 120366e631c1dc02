#!/usr/bin/env bash
# Prove golden/torch-2.15.0.h5 is reproducible: re-export it with the pinned PyTorch into a temporary
# folder and compare it with the committed file: structure, attributes and values bitwise, but for what
# depends on the processor (NaN sign and payload, and a loss within the bound of PyTorch's MKL log's last
# bits, each listed); provenance fields that name the time or the machine are exempt. See
# Tools/compare_golden.py --help. TORCH_PYTHON selects the interpreter with the pinned torch (default
# .venv-torch/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${TORCH_PYTHON:-.venv-torch/bin/python}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
echo "re-exporting on $(grep -m 1 -o 'model name.*' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), PyTorch CPU capability $("$python" -c 'import torch; print(torch.backends.cpu.get_cpu_capability())')"
"$python" Tools/export_golden.py --out "$scratch/torch-2.15.0.h5" --device cpu
"$python" Tools/compare_golden.py --across-processors golden/torch-2.15.0.h5 "$scratch/torch-2.15.0.h5"
