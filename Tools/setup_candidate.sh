#!/usr/bin/env bash
# Create the virtual environment of a third-party candidate from its pinned requirements, when missing:
#   Tools/setup_candidate.sh NAME    →  .venv-NAME from Tools/candidates/requirements-NAME.txt
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: Tools/setup_candidate.sh NAME}"
requirements="Tools/candidates/requirements-$name.txt"
exec bash Tools/make_venv.sh ".venv-$name" "$requirements"
