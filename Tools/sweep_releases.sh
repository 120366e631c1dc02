#!/usr/bin/env bash
# Verify every PyTorch release against its profile and the neighbouring ones (CONFORMANCE.md §1, "Every release").
#   Tools/sweep_releases.sh [--keep-going] [--gnll PATH] [--venv DIR] [--out DIR] [--list] [RELEASE...]
# For each release (default: the latest patch release of every minor 2.0 ... 2.15 that pip lists for this
# Python), one at a time: install it into a throwaway venv (Tools/make_venv.sh: no pip cache, a failed install
# leaves nothing behind), run
#   gnll verify --candidate "VENV/bin/python Tools/candidates/torch_candidate.py --profile P" \
#       --seed 1 --budget default --no-regressions --json Tools/results/releases/torch-X.Y.Z.P.json
# under the release's own profile and under each neighbouring one, then remove the venv. A release that does
# not install is recorded with pip's error in Tools/results/releases/torch-X.Y.Z.install-error.txt (and any
# such file of a release that now installs is removed). Times per release and in total are printed.
#   --keep-going   go on with the next release after a failed install or a run without results (the default is
#                  to stop there; a non-conformant verdict is a result, not a failure, and never stops it)
#   --gnll PATH    the gnll binary (default $GNLL or .build/release/gnll)
#   --venv DIR     the throwaway venv (default .venv-sweep; it is removed before and after each release)
#   --out DIR      where the results go (default Tools/results/releases; the table is regenerated only then)
#   --list         print the releases it would run and exit
# Tools/release_table.py turns the results into the table of CONFORMANCE.md; Tools/update_results.sh --check
# re-checks that table from the committed files.
set -uo pipefail
cd "$(dirname "$0")/.."
gnll="${GNLL:-.build/release/gnll}"
venv=.venv-sweep
out=Tools/results/releases
keep_going=false
list=false
releases=()
while [ $# -gt 0 ]; do
    case "$1" in
        --keep-going) keep_going=true ;;
        --gnll) gnll="${2:?--gnll needs a path}"; shift ;;
        --venv) venv="${2:?--venv needs a folder}"; shift ;;
        --list) list=true ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --out) out="${2:?--out needs a folder}"; shift ;;
        -*) echo "error: unknown option $1" >&2; exit 2 ;;
        *) releases+=("$1") ;;
    esac
    shift
done
mkdir -p "$out"

# The latest patch release of each minor 2.0 ... 2.15 on the index, for this Python (local versions such as
# 2.13.0+cpu are left out of the list; pip still installs such a wheel for torch==2.13.0 when a find-links folder
# holds one, as /opt/wheels does on the suite's machines: the version reported in the results says which).
if [ ${#releases[@]} -eq 0 ]; then
    listed="$(python3 -m pip index versions torch 2>/dev/null | sed -n 's/^Available versions: //p')"
    [ -n "$listed" ] || { echo "error: pip index versions torch listed nothing" >&2; exit 2; }
    mapfile -t releases < <(tr ',' '\n' <<<"$listed" | tr -d ' ' | grep -E '^2\.([0-9]|1[0-5])\.[0-9]+$' |
        sort -t. -k1,1n -k2,2n -k3,3n | awk -F. '{latest[$1"."$2] = $0; order[$1"."$2] = NR}
            END {for (minor in latest) print order[minor], latest[minor]}' | sort -n | cut -d' ' -f2)
fi
if $list; then printf '%s\n' "${releases[@]}"; exit 0; fi
[ -x "$gnll" ] || { echo "error: no gnll binary at $gnll (swift build -c release --product gnll)" >&2; exit 2; }

# The profile a release is assigned (CONFORMANCE.md §1, torch_candidate.default_profile) and its neighbours.
profile_of() {
    local minor="${1#2.}"; minor="${minor%%.*}"
    if [ "$minor" -le 5 ]; then echo torch-1.9; elif [ "$minor" -le 9 ]; then echo torch-2.6; else echo torch-2.10; fi
}
neighbours_of() {
    case "$1" in
        torch-1.9) echo torch-2.6 ;;
        torch-2.6) echo torch-1.9 torch-2.10 ;;
        torch-2.10) echo torch-2.6 ;;
    esac
}
# numpy 2 is supported from torch 2.4 on; earlier wheels were built against numpy 1.x.
numpy_for() {
    local minor="${1#2.}"; minor="${minor%%.*}"
    if [ "$minor" -le 3 ]; then echo numpy==1.26.4; else echo numpy==2.4.6; fi
}

seconds() { date +%s; }
started=$(seconds)
status=0
for release in "${releases[@]}"; do
    release_started=$(seconds)
    profile=$(profile_of "$release")
    echo "== torch $release (profile $profile; neighbours $(neighbours_of "$profile"))"
    requirements="$(mktemp)"
    printf 'torch==%s\n%s\n' "$release" "$(numpy_for "$release")" >"$requirements"
    rm -rf "$venv"
    error_file="$out/torch-$release.install-error.txt"
    log="$(mktemp)"
    if ! nice -n 10 bash Tools/make_venv.sh "$venv" "$requirements" >"$log" 2>&1 ||
        ! "$venv/bin/python" -c 'import numpy, torch; torch.as_tensor(numpy.zeros(1))' >>"$log" 2>&1; then
        {
            echo "# torch $release did not install here ($(date -u +%Y-%m-%d), Python $(python3 -c 'import platform; print(platform.python_version())'), $(uname -m))."
            echo "# requirements: $(tr '\n' ' ' <"$requirements")"
            cat "$log"
        } >"$error_file.tmp" && mv "$error_file.tmp" "$error_file"
        rm -rf "$venv" "$requirements" "$log"
        echo "   install failed: $error_file ($(( $(seconds) - release_started )) s)"
        status=1
        $keep_going && continue
        break
    fi
    rm -f "$error_file" "$requirements" "$log"
    echo "   installed $("$venv/bin/python" -c 'import torch; print(torch.__version__)') in $(( $(seconds) - release_started )) s"
    for run_profile in $profile $(neighbours_of "$profile"); do
        run_started=$(seconds)
        json="$out/torch-$release.$run_profile.json"
        nice -n 10 "$gnll" verify --candidate "$venv/bin/python Tools/candidates/torch_candidate.py --profile $run_profile" \
            --profile "$run_profile" --seed 1 --budget default --quiet --no-regressions --json "$json" >/dev/null 2>&1
        code=$?
        verdict="conformant"
        [ $code -eq 1 ] && verdict="not conformant"
        [ $code -ge 2 ] && verdict="error (exit $code)"
        echo "   $run_profile: $verdict ($(( $(seconds) - run_started )) s)"
        if [ $code -ge 2 ] || [ ! -f "$json" ]; then
            status=1
            $keep_going || { rm -rf "$venv"; echo "stopped ($(( $(seconds) - started )) s in total)"; exit $status; }
        fi
    done
    rm -rf "$venv"
    echo "   torch $release: $(( $(seconds) - release_started )) s"
done
echo "total: $(( $(seconds) - started )) s"
[ "$out" = Tools/results/releases ] && python3 Tools/release_table.py update
exit $status
