#!/usr/bin/env bash
# Builds the wheel: dist/gnll-VERSION-py3-none-PLATFORM.whl, which `pip install` makes a `gnll` command and a
# `gnll` Python package, with no Swift toolchain and no libhdf5-dev needed where it is installed.
#
# The wheel holds
#   gnll/bin/gnll            the binary, built with --static-swift-stdlib (in .build-wheel) and stripped;
#   gnll.libs/               libhdf5 and every shared library it pulls in, vendored by auditwheel repair, which
#                            renames them and points the binary's run path at them ($ORIGIN/../../gnll.libs);
#   gnll/golden/*.h5         the golden files, which the binary finds by default (../golden beside its folder);
#   gnll/                    the Python package of Tools/candidates/gnll: gnll.candidate, gnll.adapters.*, and
#                            the `gnll` console script (gnll.__main__), which execs the binary;
#   gnll_common.py           Tools/candidates/gnll_common.py, which gnll.candidate and the torch adapter import.
# The version is __version__ of Tools/candidates/gnll/__init__.py. The platform tag is the one auditwheel verifies
# (manylinux_2_35_x86_64 on Debian 12); its SBOM of the vendored libraries is in the wheel's .dist-info/sboms.
# It needs the Swift toolchain, what Tools/setup.sh installs (libhdf5-dev), python3 with venv, and strip; the
# build tools (Tools/requirements-wheel.txt) go into a venv under /tmp that is removed afterwards.
#
# Usage: Tools/build_wheel.sh [--out DIR]     (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    *) echo "usage: Tools/build_wheel.sh [--out DIR]" >&2; exit 2 ;;
    esac
done

version="$(sed -n 's/^__version__ = "\([^"]*\)"$/\1/p' Tools/candidates/gnll/__init__.py)"
[ -n "$version" ] || { echo "error: no __version__ line in Tools/candidates/gnll/__init__.py" >&2; exit 2; }

scratch="$(mktemp -d /tmp/gnll-wheel.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

echo "building gnll $version (release, static Swift standard library, in .build-wheel)"
swift build -c release --product gnll --static-swift-stdlib --scratch-path .build-wheel
binary="$(swift build -c release --static-swift-stdlib --scratch-path .build-wheel --show-bin-path)/gnll"

echo "installing the build tools into a throwaway venv"
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check -r Tools/requirements-wheel.txt

tree="$scratch/gnll-$version"
info="$tree/gnll-$version.dist-info"
mkdir -p "$tree/gnll/bin" "$tree/gnll/golden" "$info"
(cd Tools/candidates && find gnll -name '*.py' -print0 | xargs -0 cp --parents -t "$tree")
cp Tools/candidates/gnll_common.py "$tree/"
cp golden/*.h5 "$tree/gnll/golden/"
strip -o "$tree/gnll/bin/gnll" "$binary"

cat >"$info/METADATA" <<METADATA
Metadata-Version: 2.1
Name: gnll
Version: $version
Summary: A conformance suite for PyTorch's gaussian_nll_loss: the gnll binary, its golden files and the adapter helper
Requires-Dist: numpy

gnll tells you whether an implementation of torch.nn.functional.gaussian_nll_loss behaves like PyTorch, and
exactly where it does not. Write an adapter with gnll.candidate, then run: gnll verify --candidate "python adapter.py"
METADATA
cat >"$info/WHEEL" <<WHEEL
Wheel-Version: 1.0
Generator: Tools/build_wheel.sh
Root-Is-Purelib: false
Tag: py3-none-linux_$(uname -m)
WHEEL
printf '[console_scripts]\ngnll = gnll.__main__:main\n' >"$info/entry_points.txt"
printf 'gnll\ngnll_common\n' >"$info/top_level.txt"

mkdir -p "$scratch/packed" "$out"
"$scratch/venv/bin/wheel" pack "$tree" --dest-dir "$scratch/packed"
PATH="$scratch/venv/bin:$PATH" "$scratch/venv/bin/auditwheel" repair --wheel-dir "$scratch/repaired" \
    "$scratch/packed/gnll-$version-py3-none-linux_$(uname -m).whl"
wheel_file="$(ls "$scratch/repaired"/gnll-"$version"-*.whl)"
mv "$wheel_file" "$out/"
echo "wrote $out/$(basename "$wheel_file") ($(du -k "$out/$(basename "$wheel_file")" | cut -f1) KiB)"
