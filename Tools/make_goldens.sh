#!/usr/bin/env bash
# Export the three committed golden files from real PyTorch, on the CPU.
#
# For each release, creates its virtual environment from the pinned
# requirements file when it is missing, checks the installed torch version,
# and runs Tools/export_golden.py with the default seed:
#   .venv-torch        Tools/requirements.txt               golden/torch-2.15.0.h5
#   .venv-torch-2.9.1  Tools/requirements-torch-2.9.1.txt   golden/torch-2.9.1.h5
#   .venv-torch-2.1.2  Tools/requirements-torch-2.1.2.txt   golden/torch-2.1.2.h5
# Usage: Tools/make_goldens.sh   (from anywhere; PYTHON selects the base interpreter, default python3; VENV_ROOT
# the folder that holds the venvs, default the repository root, so that a second checkout, such as a git
# worktree, can use the venvs of the first)
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV_ROOT="${VENV_ROOT:-.}"

# export_release VERSION VENV REQUIREMENTS [PACKAGE...]
# The packages beside the requirements must be those Tools/setup.sh installs into the same venv (pytest in
# .venv-torch): make_venv.sh's stamp records them, and a venv whose stamp differs is made again from scratch.
export_release() {
    local version="$1" venv="$VENV_ROOT/$2" requirements="$3"
    shift 3
    PYTHON="$PYTHON" bash Tools/make_venv.sh "$venv" "$requirements" "$@"
    local installed
    installed="$("$venv/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')"
    if [ "$installed" != "$version" ]; then
        echo "error: $venv has torch $installed, expected $version (its requirements file pins another)" >&2
        exit 1
    fi
    "$venv/bin/python" Tools/export_golden.py --out "golden/torch-$version.h5" --device cpu
}

mkdir -p golden
export_release 2.15.0 .venv-torch Tools/requirements.txt pytest
export_release 2.9.1 .venv-torch-2.9.1 Tools/requirements-torch-2.9.1.txt
export_release 2.1.2 .venv-torch-2.1.2 Tools/requirements-torch-2.1.2.txt
