#!/usr/bin/env bash
# CI stage: the wheel works where nothing but the wheel is installed. Builds it from this checkout
# (Tools/build_wheel.sh), installs it into a fresh venv, and then, in a clean environment (env -i with the venv
# first on PATH: no LD_LIBRARY_PATH, nothing of the Swift toolchain) and an empty folder, checks that
#   - `gnll --version`, the numpy adapter's hello and the imported package report the version of
#     Tools/candidates/gnll/__init__.py, and the package is the installed one;
#   - ldd of the installed binary names no library of the Swift toolchain and no system libhdf5 (libhdf5 comes
#     from the wheel's gnll.libs), and finds every library;
#   - `gnll golden verify` passes on the bundled golden files, found without --golden-dir;
#   - `gnll verify --candidate "python -m gnll.adapters.numpy"` exits 0;
#   - the README's adapter example (its first python block, saved as my_adapter.py), run with the README's
#     `gnll verify --candidate "python my_adapter.py" ...` line, gets a verdict: exit 0 or 1 and the closing line.
# The venv and the build tools' venv are removed afterwards. Each step prints its time.
# Measured (2026-12-07, 2 cores shared with other work, load about 8): 415 s on a fresh clone, 285 s of it the
# release build in .build-wheel (a scratch path of its own: --static-swift-stdlib rebuilds every module); 92 s
# when .build-wheel is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="$(mktemp -d /tmp/gnll-check-wheel.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
fail() { echo "check_wheel: FAILED: $*" >&2; exit 1; }
step() { echo "check_wheel: $1 ($((SECONDS - step_started)) s)"; step_started=$SECONDS; }
step_started=$SECONDS

version="$(sed -n 's/^__version__ = "\([^"]*\)"$/\1/p' Tools/candidates/gnll/__init__.py)"
toolchain_libraries="$(dirname "$(realpath "$(command -v swift)")")/../lib/swift"
toolchain_libraries="$(realpath "$toolchain_libraries")"
adapter="$(awk '/^```python$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' README.md)"
verify_line="$(grep -m 1 '^gnll verify --candidate "python my_adapter.py"' README.md)" ||
    fail "README.md has no line 'gnll verify --candidate \"python my_adapter.py\" ...'"
[[ "$adapter" == *"from gnll.candidate import"* ]] || fail "README.md's first python block imports no gnll.candidate"

bash Tools/build_wheel.sh --out "$scratch/dist"
wheel="$(ls "$scratch"/dist/gnll-"$version"-py3-none-*.whl)"
step "built $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"

python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check "$wheel"
site="$("$scratch/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')"
step "installed into a fresh venv ($(du -sk "$site/gnll" "$site/gnll.libs" | awk '{ s += $1 } END { print s }') KiB)"

mkdir -p "$scratch/work" "$scratch/home"
printf '%s\n' "$adapter" >"$scratch/work/my_adapter.py"
clean() { (cd "$scratch/work" && env -i PATH="$scratch/venv/bin:/usr/bin:/bin" HOME="$scratch/home" "$@"); }

[ "$(clean gnll --version)" = "$version" ] || fail "gnll --version says '$(clean gnll --version)', not $version"
hello="$(echo '{"op":"hello","protocol":1}' | clean python -m gnll.adapters.numpy)"
[[ "$hello" == *"\"gnll_version\": \"$version\""* ]] || fail "the numpy adapter's hello lacks gnll_version $version: $hello"
clean python -c "import gnll, sys; sys.exit(gnll.__version__ != '$version' or not gnll.__file__.startswith('$site'))" ||
    fail "python imports another gnll than the installed $version"
step "version $version: gnll --version, the adapter's hello, the package"

libraries="$(clean ldd "$site/gnll/bin/gnll")"
echo "$libraries" | grep -q "libhdf5.* => $site/gnll/bin/../../gnll.libs/" || fail "libhdf5 is not the wheel's:
$libraries"
! echo "$libraries" | grep -E "not found|$toolchain_libraries|libswift|libFoundation|libdispatch|libBlocksRuntime" ||
    fail "the binary needs the Swift toolchain or misses a library"
! echo "$libraries" | grep "hdf5" | grep -v "=> $site/gnll/bin/../../gnll.libs/" || fail "a system libhdf5 is used"
step "ldd: no Swift toolchain library ($toolchain_libraries), libhdf5 from the wheel"

golden="$(clean gnll golden verify)" || fail "gnll golden verify failed: $golden"
golden="${golden##*$'\n'}"
[[ "$golden" =~ ^[1-9][0-9]*" passed, 0 failed"$ ]] || fail "gnll golden verify: $golden"
step "gnll golden verify: $golden"

clean gnll verify --candidate "python -m gnll.adapters.numpy" --quiet || fail "the numpy adapter is not conformant"
step "gnll verify --candidate \"python -m gnll.adapters.numpy\": exit 0"

status=0
output="$(clean sh -c "$verify_line")" || status=$?
closing="${output##*$'\n'}"
[ "$status" -le 1 ] && [[ "$closing" =~ ^[0-9]+" passed, "[0-9]+" failed, "[0-9]+" errors, "[0-9]+" not run"$ ]] ||
    fail "the README's adapter got no verdict (exit $status): $output"
step "the README's adapter example: exit $status, $closing"
