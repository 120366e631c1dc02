#!/usr/bin/env bash
# Create the virtual environment of a third-party candidate from its pinned requirements, when missing:
#   Tools/setup_candidate.sh NAME    →  .venv-NAME from Tools/candidates/requirements-NAME.txt
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: Tools/setup_candidate.sh NAME}"
requirements="Tools/candidates/requirements-$name.txt"
[ -f "$requirements" ] || { echo "error: no $requirements" >&2; exit 2; }
venv=".venv-$name"
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then exit 0; fi
echo "setup: creating $venv from $requirements"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
