#!/usr/bin/env bash
# The main job, from a fresh clone on a Debian machine with the Swift toolchain: install what is missing,
# build gnll, and verify the bundled reference against every check (golden replay and properties).
# Extra arguments go to `gnll verify`, e.g. Tools/run.sh --profile torch-2.6 --json results.json
set -euo pipefail
cd "$(dirname "$0")/.."
bash Tools/setup.sh
swift build -c release --product gnll
exec .build/release/gnll verify --reference "$@"
