#!/usr/bin/env bash
# The suite's own speed: how fast `gnll verify` gets through cases, how much of a run against PyTorch
# is the suite's rather than the candidate's, how long the default `gnll verify --reference` takes, and
# what two concurrent shards gain over one process. PERFORMANCE.md, "The suite's own speed", explains
# every figure; this prints them as min / median / max over --repeats rounds.
#
#   swift build -c release --product gnll --scratch-path .build-perf
#   Tools/bench_suite.sh --gnll .build-perf/release/gnll --repeats 3
#
# Every round runs every measurement once, in the same order, so that the ratios of one round compare
# runs taken within minutes of each other. The load average (1 minute) is read before and after every
# command; the table gives its range per row. Raw samples stay in --out (samples.tsv, one line a run,
# and the results JSON of every run).
#
# Needs: bash, python3 (for the arithmetic), GNU time as /usr/bin/time, and for the PyTorch rows
# the adapter's Python (--python; rows are skipped when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

gnll=".build-perf/release/gnll"
python=".venv-torch/bin/python"
repeats=3
cases=1000          # cases per property for the in-process and `gnll serve` runs
oracle_cases=20000  # cases of property.random.oracle alone, in-process and `gnll serve`
torch_cases=300     # cases per property against the PyTorch adapter
torch_oracle_cases=2000
shard_cases=6000    # cases per property of the sharding comparison (goldens included)
fuzz_seconds=10
out=""
skip=""
golden_verify=0

usage() {
    cat <<EOF
usage: Tools/bench_suite.sh [options]
  --gnll PATH            the gnll executable (default: $gnll)
  --python PATH          the Python with PyTorch for the adapter (default: $python)
  --repeats N            rounds (default: $repeats)
  --cases N              cases per property, in-process and gnll serve (default: $cases)
  --oracle-cases N       cases of property.random.oracle alone (default: $oracle_cases)
  --torch-cases N        cases per property against PyTorch (default: $torch_cases)
  --torch-oracle-cases N cases of property.random.oracle against PyTorch (default: $torch_oracle_cases)
  --shard-cases N        cases per property of the sharding comparison (default: $shard_cases)
  --fuzz-seconds N       seconds of each gnll fuzz run (default: $fuzz_seconds)
  --skip LIST            comma-separated groups to leave out: throughput,fuzz,share,default,shard
  --out DIR              keep the raw samples here (default: a temporary folder, removed)
  --golden-verify        also time \`gnll golden verify\` (every golden file in golden/, about 30 to
                         50 s a run)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
    --gnll) gnll="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --oracle-cases) oracle_cases="$2"; shift 2 ;;
    --torch-cases) torch_cases="$2"; shift 2 ;;
    --torch-oracle-cases) torch_oracle_cases="$2"; shift 2 ;;
    --shard-cases) shard_cases="$2"; shift 2 ;;
    --fuzz-seconds) fuzz_seconds="$2"; shift 2 ;;
    --skip) skip="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --golden-verify) golden_verify=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

[ -x "$gnll" ] || {
    echo "no gnll executable at $gnll; build one with" >&2
    echo "  swift build -c release --product gnll --scratch-path .build-perf" >&2
    exit 2
}
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 2; }
gnll="$(cd "$(dirname "$gnll")" && pwd)/$(basename "$gnll")"
have_torch=1
if [ ! -x "$python" ] || ! "$python" -c "import torch" 2>/dev/null; then
    echo "note: $python cannot import torch: the PyTorch rows are left out" >&2
    have_torch=0
else
    python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"
fi
skipped() { case ",$skip," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

if [ -z "$out" ]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
else
    mkdir -p "$out"
fi
out="$(cd "$out" && pwd)"
samples="$out/samples.tsv"
printf 'name\tround\twall\tuser\tsys\tload0\tload1\tcases\tcand_wall\tcand_user\tcand_sys\tcand_blocked\n' >"$samples"
empty_golden="$out/no-goldens"
mkdir -p "$empty_golden"

# The PyTorch adapter, run so that it records the time it spends blocked reading stdin (waiting for
# the suite). Its CPU time and lifetime come from /usr/bin/time around it.
cat >"$out/timed_candidate.py" <<'EOF'
import os, sys, time, runpy
start = time.perf_counter()
report, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
blocked = 0.0
class TimedBuffer:
    def __init__(self, raw): self.raw = raw
    def readline(self, *args):
        global blocked
        t = time.perf_counter()
        try: return self.raw.readline(*args)
        finally: blocked += time.perf_counter() - t
    def __getattr__(self, name): return getattr(self.raw, name)
class TimedStdin:
    def __init__(self, raw): self.raw, self.buffer = raw, TimedBuffer(raw.buffer)
    def __getattr__(self, name): return getattr(self.raw, name)
sys.stdin = TimedStdin(sys.stdin)
try:
    runpy.run_path(script, run_name="__main__")
finally:
    with open(report, "w") as f: f.write(f"{blocked:.6f}\n")
EOF

props=$("$gnll" verify --reference --cases 0 --no-regressions --quiet --golden-dir "$empty_golden" \
    --json "$out/ids.json" >/dev/null && python3 -c '
import json, sys
print(" ".join("--check " + c["id"] for c in json.load(open(sys.argv[1]))["checks"]))' "$out/ids.json")
nprops=$(echo "$props" | wc -w)
nprops=$((nprops / 2))

load1() { cut -d' ' -f1 /proc/loadavg; }
case_count() { python3 -c 'import json,sys; print(sum(c["cases"] for c in json.load(open(sys.argv[1]))["checks"]))' "$1"; }

# run NAME ROUND JSON CANDIDATE_TIME_FILE BLOCKED_FILE -- COMMAND...: time one command and record it.
# JSON: the results file to count cases in, "fuzz" to read them from gnll fuzz's closing line, or -.
run() {
    local name="$1" round="$2" json="$3" ctime="$4" cblocked="$5"
    shift 6
    local f
    for f in "$json" "$ctime" "$cblocked"; do case "$f" in /*) rm -f "$f" ;; esac; done
    local l0 l1 rc=0
    l0=$(load1)
    /usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$@" >"$out/stdout.txt" 2>"$out/stderr.txt" || rc=$?
    l1=$(load1)
    if [ "$rc" -ge 2 ]; then
        echo "error: $name exited with $rc:" >&2
        tail -5 "$out/stderr.txt" "$out/stdout.txt" >&2
        exit 1
    fi
    local wall user sys n=- cw=- cu=- cs=- cb=-
    read -r wall user sys <"$out/time.txt"
    if [ "$json" = fuzz ]; then
        n=$(cat "$out/stdout.txt" "$out/stderr.txt" | grep -o '^[0-9]* cases in' | tail -1 | cut -d' ' -f1 || true)
        [ -n "$n" ] || n=-
    elif [ "$json" != - ] && [ -s "$json" ]; then
        n=$(case_count "$json")
    fi
    if [ "$ctime" != - ] && [ -s "$ctime" ]; then read -r cw cu cs <"$ctime"; fi
    if [ "$cblocked" != - ] && [ -s "$cblocked" ]; then read -r cb <"$cblocked"; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$name" "$round" "$wall" "$user" "$sys" "$l0" "$l1" "$n" "$cw" "$cu" "$cs" "$cb" >>"$samples"
    printf '  %-34s %7ss  load %s -> %s  cases %s\n' "$name" "$wall" "$l0" "$l1" "$n" >&2
}

serve_cmd() { echo "/usr/bin/time -f '%e %U %S' -o '$out/cand.txt' '$gnll' serve"; }
torch_cmd() {
    echo "/usr/bin/time -f '%e %U %S' -o '$out/cand.txt' '$python' '$out/timed_candidate.py'" \
        "'$out/blocked.txt' '$root/Tools/candidates/torch_candidate.py'"
}
verify=("$gnll" verify --no-regressions --quiet)

echo "gnll: $gnll (checkout at $(git rev-parse --short HEAD 2>/dev/null || echo '?'))" >&2
echo "machine: $(nproc) processors, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" >&2
echo "start: $(date -u '+%Y-%m-%d %H:%M UTC'), /proc/loadavg $(cat /proc/loadavg)" >&2

for round in $(seq 1 "$repeats"); do
    echo "round $round of $repeats" >&2
    if ! skipped throughput; then
        # Small cases, goldens left out (an empty --golden-dir): the per-case rate.
        j="$out/r.json"
        run oracle.reference "$round" "$j" - - -- "${verify[@]}" --reference --check property.random.oracle \
            --cases "$oracle_cases" --golden-dir "$empty_golden" --json "$j"
        run oracle.serve "$round" "$j" "$out/cand.txt" - -- "${verify[@]}" --candidate "$(serve_cmd)" \
            --check property.random.oracle --cases "$oracle_cases" --golden-dir "$empty_golden" --json "$j"
        [ "$have_torch" = 1 ] && run oracle.torch "$round" "$j" "$out/cand.txt" "$out/blocked.txt" -- \
            "${verify[@]}" --candidate "$(torch_cmd)" --check property.random.oracle \
            --cases "$torch_oracle_cases" --golden-dir "$empty_golden" --json "$j"
        # shellcheck disable=SC2086
        run props.reference "$round" "$j" - - -- "${verify[@]}" --reference $props --cases "$cases" \
            --golden-dir "$empty_golden" --json "$j"
        # shellcheck disable=SC2086
        run props.serve "$round" "$j" "$out/cand.txt" - -- "${verify[@]}" --candidate "$(serve_cmd)" $props \
            --cases "$cases" --golden-dir "$empty_golden" --json "$j"
        # shellcheck disable=SC2086
        [ "$have_torch" = 1 ] && run props.torch "$round" "$j" "$out/cand.txt" "$out/blocked.txt" -- \
            "${verify[@]}" --candidate "$(torch_cmd)" $props --cases "$torch_cases" \
            --golden-dir "$empty_golden" --json "$j"
        # The fixed cost of the golden file (a run of property checks only reads none): the smallest golden
        # check, its 16 cases included.
        run startup.goldens-read "$round" - - - -- "${verify[@]}" --reference --check golden.reductions
    fi
    if ! skipped fuzz; then
        run fuzz.serve "$round" fuzz - - -- "$gnll" fuzz --candidate "'$gnll' serve" --seconds "$fuzz_seconds" \
            --seed 1 --out "$out/fuzz"
    fi
    if ! skipped share && [ "$have_torch" = 1 ]; then
        # The default verify (goldens and the default property budget) against PyTorch.
        j="$out/d.json"
        run default.torch "$round" "$j" "$out/cand.txt" "$out/blocked.txt" -- \
            "${verify[@]}" --candidate "$(torch_cmd)" --json "$j"
    fi
    if ! skipped default; then
        j="$out/d.json"
        run default.reference "$round" "$j" - - -- "${verify[@]}" --reference --json "$j"
    fi
    if [ "$golden_verify" = 1 ]; then
        run golden.verify "$round" - - - -- "$gnll" golden verify
    fi
    if ! skipped shard; then
        run shard.whole "$round" "$out/w.json" - - -- "${verify[@]}" --reference --cases "$shard_cases" \
            --json "$out/w.json"
        l0=$(load1)
        t0=$(date +%s.%N)
        pids=()
        for k in 1 2; do
            rm -f "$out/s$k.json"
            /usr/bin/time -f "%e %U %S" -o "$out/time$k.txt" "${verify[@]}" --reference --cases "$shard_cases" \
                --shard "$k/2" --json "$out/s$k.json" >/dev/null 2>"$out/stderr$k.txt" &
            pids+=("$!")
        done
        for k in 1 2; do
            rc=0
            wait "${pids[$((k - 1))]}" || rc=$?
            if [ "$rc" -ge 2 ]; then
                echo "error: shard $k/2 exited with $rc:" >&2
                tail -5 "$out/stderr$k.txt" >&2
                exit 1
            fi
        done
        t1=$(date +%s.%N)
        l1=$(load1)
        for k in 1 2; do
            read -r wall user sys <"$out/time$k.txt"
            printf 'shard.%s-of-2\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t-\t-\t-\n' "$k" "$round" "$wall" "$user" "$sys" \
                "$l0" "$l1" "$(case_count "$out/s$k.json")" >>"$samples"
        done
        n1=$(case_count "$out/s1.json")
        n2=$(case_count "$out/s2.json")
        printf 'shard.pair\t%s\t%s\t-\t-\t%s\t%s\t%s\t-\t-\t-\t-\n' "$round" \
            "$(python3 -c "print(f'{$t1 - $t0:.2f}')")" "$l0" "$l1" "$((n1 + n2))" >>"$samples"
        printf '  %-34s %7ss  load %s -> %s  cases %s\n' shard.pair \
            "$(python3 -c "print(f'{$t1 - $t0:.2f}')")" "$l0" "$l1" "$((n1 + n2))" >&2
    fi
done
echo "end: $(date -u '+%Y-%m-%d %H:%M UTC'), /proc/loadavg $(cat /proc/loadavg)" >&2

python3 - "$samples" "$nprops" "$repeats" <<'EOF'
import csv, statistics, sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
nprops = int(sys.argv[2])
by = defaultdict(dict)  # name -> round -> row
for row in rows:
    by[row["name"]][row["round"]] = row
num = lambda v: None if v in ("-", "", None) else float(v)

def stat(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return min(values), statistics.median(values), max(values)

def loads(names):
    values = [num(r[k]) for n in names for r in by.get(n, {}).values() for k in ("load0", "load1")]
    values = [v for v in values if v is not None]
    return f"{min(values):.1f}-{max(values):.1f}" if values else ""

table = []
def add(label, names, values, unit, fmt, target=None):
    s = stat(values)
    if s is None:
        return
    verdict = ""
    if target is not None:
        verdict = "met" if target(s[1]) else "not met"
    table.append((label, unit, *(fmt(v) for v in s), verdict, loads(names)))

def rate(name):
    return [num(r["cases"]) / num(r["wall"]) for r in by.get(name, {}).values() if num(r["cases"]) is not None]

def each(name, f):
    return [f(r) for r in by.get(name, {}).values()]

def same_round(a, b, f):
    return [f(by[a][k], by[b][k]) for k in by.get(a, {}) if k in by.get(b, {})]

def suite_wall_share(r):
    # 1 - (candidate lifetime - candidate blocked on stdin) / gnll wall
    if num(r["cand_blocked"]) is None:
        return None
    return 1 - (num(r["cand_wall"]) - num(r["cand_blocked"])) / num(r["wall"])

def suite_cpu_share(r):
    # (gnll user+sys, children included) - (candidate user+sys), over the former
    if num(r["cand_user"]) is None:
        return None
    total = num(r["user"]) + num(r["sys"])
    return (total - num(r["cand_user"]) - num(r["cand_sys"])) / total

i0 = lambda v: f"{v:,.0f}"
f2 = lambda v: f"{v:.2f}"
f1 = lambda v: f"{v:.1f}"
pct = lambda v: f"{100 * v:.0f}%"
ge20k = lambda v: v >= 20000

add("verify random.oracle, in-process", ["oracle.reference"], rate("oracle.reference"), "cases/s", i0)
add("verify random.oracle, gnll serve", ["oracle.serve"], rate("oracle.serve"), "cases/s", i0, ge20k)
add("verify random.oracle, PyTorch", ["oracle.torch"], rate("oracle.torch"), "cases/s", i0)
add(f"verify {nprops} properties, in-process", ["props.reference"], rate("props.reference"), "cases/s", i0)
add(f"verify {nprops} properties, gnll serve", ["props.serve"], rate("props.serve"), "cases/s", i0, ge20k)
add(f"verify {nprops} properties, PyTorch", ["props.torch"], rate("props.torch"), "cases/s", i0)
add("  fixed cost: the golden file (verify --check golden.reductions)", ["startup.goldens-read"],
    each("startup.goldens-read", lambda r: num(r["wall"])), "s", f2)
add("  serve / in-process, same round (properties)", ["props.serve", "props.reference"],
    same_round("props.serve", "props.reference", lambda a, b: (num(a["cases"]) / num(a["wall"])) /
               (num(b["cases"]) / num(b["wall"]))), "ratio", f2)
add("  gnll serve's share of CPU (properties)", ["props.serve"], [1 - v for v in each("props.serve", suite_cpu_share)
    if v is not None], "share", pct)
add("fuzz, gnll serve (batches of 64)", ["fuzz.serve"], rate("fuzz.serve"), "cases/s", i0, ge20k)
le20 = lambda v: v <= 0.20
add("suite's share of wall, PyTorch, properties", ["props.torch"], each("props.torch", suite_wall_share), "share",
    pct, le20)
add("suite's share of CPU, PyTorch, properties", ["props.torch"], each("props.torch", suite_cpu_share), "share",
    pct, le20)
add("suite's share of wall, PyTorch, default verify", ["default.torch"], each("default.torch", suite_wall_share),
    "share", pct, le20)
add("suite's share of CPU, PyTorch, default verify", ["default.torch"], each("default.torch", suite_cpu_share),
    "share", pct, le20)
add("  default verify against PyTorch, wall", ["default.torch"], each("default.torch", lambda r: num(r["wall"])),
    "s", f1)
add("default verify --reference, wall", ["default.reference"], each("default.reference", lambda r: num(r["wall"])),
    "s", f1, lambda v: v < 20)
add("  its cases", ["default.reference"], each("default.reference", lambda r: num(r["cases"])), "cases", i0)
add("golden verify (every golden file), wall", ["golden.verify"], each("golden.verify", lambda r: num(r["wall"])),
    "s", f1)
add("shards: one process, wall", ["shard.whole"], each("shard.whole", lambda r: num(r["wall"])), "s", f1)
add("shards: 1/2 and 2/2 concurrently, wall", ["shard.pair"], each("shard.pair", lambda r: num(r["wall"])), "s", f1)
add("shards: speedup, same round", ["shard.whole", "shard.pair"],
    same_round("shard.whole", "shard.pair", lambda a, b: num(a["wall"]) / num(b["wall"])), "x", f2,
    lambda v: v >= 1.8)
cpu = lambda r: num(r["user"]) + num(r["sys"])
add("  CPU-time bound: whole CPU / larger shard's CPU", ["shard.whole"],
    [cpu(by["shard.whole"][k]) / max(cpu(by["shard.1-of-2"][k]), cpu(by["shard.2-of-2"][k]))
     for k in by.get("shard.whole", {}) if k in by.get("shard.1-of-2", {})], "x", f2)
add("  CPU: both shards / whole", ["shard.whole"],
    [(cpu(by["shard.1-of-2"][k]) + cpu(by["shard.2-of-2"][k])) / cpu(by["shard.whole"][k])
     for k in by.get("shard.whole", {}) if k in by.get("shard.1-of-2", {})], "x", f2)
bad = [k for k in by.get("shard.pair", {}) if k in by.get("shard.whole", {})
       and by["shard.pair"][k]["cases"] != by["shard.whole"][k]["cases"]]
if bad:
    print(f"warning: the shards' cases differ from the whole run's in rounds {bad}", file=sys.stderr)

header = ("measurement", "unit", "min", "median", "max", "target (median)", "load avg")
widths = [max(len(str(r[i])) for r in table + [header]) for i in range(len(header))]
print(f"{sys.argv[3]} rounds; min / median / max over the rounds; load avg: the 1-minute load average's range")
print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
print("| " + " | ".join("-" * w for w in widths) + " |")
for r in table:
    print("| " + " | ".join(str(v).ljust(w) for v, w in zip(r, widths)) + " |")
EOF
