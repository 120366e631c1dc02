#!/usr/bin/env bash
# Behaviour snapshots of `gnll verify`: runs it (seed 1, default budget, no regression file) against the bundled
# reference (--reference), the reference served through the protocol (gnll serve), the NumPy adapter and a
# built-in mutant (gnll serve --mutant clamp-differentiated), writing results JSON, JUnit XML and Markdown, and
# compares them with Tests/Snapshots/verify/: the JSON after parsing (key order and number spelling aside), the
# JUnit XML and Markdown byte for byte. Any difference is printed and fails the check.
#
#   Tools/check_behaviour.sh            compare (CI)
#   Tools/check_behaviour.sh --update   rewrite the snapshots (only for an intended change of behaviour; say why
#                                       in the commit)
# GNLL selects the binary (default .build/release/gnll); the golden files are those in golden/.
set -euo pipefail
cd "$(dirname "$0")/.."
gnll="$(realpath "${GNLL:-.build/release/gnll}")"
[ -x "$gnll" ] || { echo "error: no gnll at $gnll (build it: swift build -c release --product gnll)" >&2; exit 2; }
update=false
[ "${1:-}" = "--update" ] && update=true
snapshots=Tests/Snapshots/verify
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Candidate commands name `gnll` from PATH, so that the rerun commands in the results do not depend on where the
# binary lives.
mkdir "$scratch/bin"
ln -s "$gnll" "$scratch/bin/gnll"
export PATH="$scratch/bin:$PATH"

runs=(
    "reference|--reference"
    "served|--candidate 'gnll serve'"
    "numpy|--candidate 'python3 Tools/candidates/numpy_candidate.py'"
    "mutant-clamp-differentiated|--candidate 'gnll serve --mutant clamp-differentiated'"
)
status=0
for run in "${runs[@]}"; do
    IFS='|' read -r name arguments <<<"$run"
    eval "gnll verify $arguments --seed 1 --budget default --no-regressions --golden-dir golden --quiet \
        --json '$scratch/$name.json' --junit '$scratch/$name.xml' --markdown '$scratch/$name.md'" >/dev/null || true
    for extension in json xml md; do
        file="$name.$extension"
        if [ ! -f "$scratch/$file" ]; then
            echo "behaviour: $file was not written"
            status=1
            continue
        fi
        if $update; then
            cp "$scratch/$file" "$snapshots/$file"
        elif [ "$extension" = json ]; then
            python3 - "$snapshots/$file" "$scratch/$file" <<'PYTHON' || status=1
import json, sys
def canonical(path):
    with open(path) as handle:
        return json.dumps(json.load(handle), sort_keys=True, indent=1).splitlines()
expected, got = canonical(sys.argv[1]), canonical(sys.argv[2])
if expected != got:
    import difflib
    print(f"behaviour: {sys.argv[1]} differs:")
    print("\n".join(list(difflib.unified_diff(expected, got, "snapshot", "now", lineterm=""))[:40]))
    sys.exit(1)
PYTHON
        elif ! cmp -s "$snapshots/$file" "$scratch/$file"; then
            echo "behaviour: $snapshots/$file differs:"
            diff "$snapshots/$file" "$scratch/$file" | head -40 || true
            status=1
        fi
    done
done
if $update; then
    echo "snapshots written to $snapshots"
elif [ "$status" -eq 0 ]; then
    echo "behaviour: ${#runs[@]} runs identical to $snapshots"
fi
exit "$status"
