#!/usr/bin/env bash
# Install what the suite needs on a Debian machine with the Swift toolchain, skipping what is there:
#   system: libhdf5-dev and pkg-config (the golden file reader);
#   with --test-tools: libxml2-utils (xmllint validates JUnit XML), chromium (renders the HTML report),
#   python3-jsonschema (validates results against Schemas/results.schema.json), fonts-dejavu-core;
#   (the benchmark gate, Tools/check_benchmarks.sh, needs nothing more: on Swift 6.3 and later ordo-one/benchmark
#   counts allocations with its malloc-interposer package, not with libjemalloc, which only its Swift 6.2 manifest
#   uses, through ordo-one/package-jemalloc and Debian's libjemalloc-dev);
#   with --torch: the virtual environment .venv-torch with the pinned PyTorch, NumPy and h5py
#   (Tools/requirements.txt) plus pytest, for the PyTorch candidate and the golden exporter.
# Usage: Tools/setup.sh [--test-tools] [--torch]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libhdf5-dev pkg-config)
for argument in "$@"; do
    if [ "$argument" = "--test-tools" ]; then
        packages+=(libxml2-utils chromium python3-jsonschema fonts-dejavu-core)
    fi
done
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ " $* " == *" --torch "* ]]; then
    bash Tools/make_venv.sh .venv-torch Tools/requirements.txt pytest
fi
