#!/usr/bin/env bash
# Prove golden/torch-2.15.0.h5 is reproducible: re-export it with the pinned PyTorch into a temporary
# folder and compare it with the committed file (structure and values bitwise; provenance fields that
# name the time or the machine are exempt, see Tools/compare_golden.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv-torch/bin/python
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"$python" Tools/export_golden.py --out "$scratch/torch-2.15.0.h5" --device cpu
"$python" Tools/compare_golden.py golden/torch-2.15.0.h5 "$scratch/torch-2.15.0.h5"
