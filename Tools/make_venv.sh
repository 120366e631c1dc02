#!/usr/bin/env bash
# Create a Python virtual environment from a pinned requirements file, unless it exists and was made from the
# same requirements (the stamp VENV/.requirements records them):
#   Tools/make_venv.sh VENV REQUIREMENTS [PACKAGE...]
# PACKAGE names extra packages installed beside the requirements (they are part of the stamp).
# pip keeps no cache (a PyTorch venv is about 5 GB, its wheels as much again), and a failed install removes the
# half-made venv, so a full disk leaves nothing behind and the next run starts clean. PYTHON selects the base
# interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:?usage: Tools/make_venv.sh VENV REQUIREMENTS [PACKAGE...]}"
requirements="${2:?usage: Tools/make_venv.sh VENV REQUIREMENTS [PACKAGE...]}"
shift 2
[ -f "$requirements" ] || { echo "error: no requirements file $requirements" >&2; exit 2; }

wanted="$(cat "$requirements"; for package in "$@"; do echo "$package"; done)"
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then exit 0; fi

free_space() { df -h --output=avail "$(dirname "$(realpath -m "$venv")")" | tail -n 1 | tr -d ' '; }
echo "setup: creating $venv from $requirements${*:+ with $*} ($(free_space) free on its disk)"
rm -rf "$venv"
if ! { "${PYTHON:-python3}" -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check -r "$requirements" "$@"; }; then
    rm -rf "$venv"
    echo "error: could not create $venv from $requirements; removed what was installed ($(free_space) free now)" >&2
    exit 1
fi
printf '%s\n' "$wanted" >"$stamp"
