#!/usr/bin/env bash
# Two concurrent shards of `gnll verify --candidate 'GNLL serve'` against one process, in interleaved
# rounds: each round runs the whole verify, then --shard 1/2 and 2/2 started together, merges the shards
# and compares the merged results with the whole run's, byte for byte. PERFORMANCE.md, "Striped shards".
#
#   swift build -c release --product gnll
#   Tools/bench_shards.sh --gnll .build/release/gnll --rounds 5 [-- extra verify options, e.g. --cases 3000]
#
# Prints one line a round (wall and CPU seconds from GNU time; the CPU time includes the candidate, which
# each process waits for), then the medians: speedup = whole wall / pair wall within a round; CPU bound =
# whole CPU / the larger shard's CPU (the speedup two idle cores would allow).
set -euo pipefail
cd "$(dirname "$0")/.."
gnll=".build/release/gnll"
rounds=5
out=""
while [ $# -gt 0 ]; do
    case "$1" in
    --gnll) gnll="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: Tools/bench_shards.sh [--gnll PATH] [--rounds N] [--out DIR] [-- verify options]" >&2; exit 2 ;;
    esac
done
[ -x "$gnll" ] || { echo "no gnll executable at $gnll" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 2; }
gnll="$(cd "$(dirname "$gnll")" && pwd)/$(basename "$gnll")"
if [ -z "$out" ]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
verify=("$gnll" verify --candidate "'$gnll' serve" --no-regressions --quiet "$@")
samples="$out/samples.tsv"
printf 'round\twhole_wall\twhole_cpu\tpair_wall\tshard1_cpu\tshard2_cpu\tload_before\tload_after\tmerged_equal\n' |
    tee "$samples"
for round in $(seq 1 "$rounds"); do
    l0=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S" -o "$out/whole.time" "${verify[@]}" --json "$out/whole.json" >/dev/null 2>&1 || true
    t0=$(date +%s.%N)
    for k in 1 2; do
        /usr/bin/time -f "%e %U %S" -o "$out/shard$k.time" "${verify[@]}" --shard "$k/2" --json "$out/shard$k.json" \
            >/dev/null 2>&1 &
    done
    wait || true
    t1=$(date +%s.%N)
    l1=$(cut -d' ' -f1 /proc/loadavg)
    "$gnll" report merge "$out/shard1.json" "$out/shard2.json" -o "$out/merged.json" >/dev/null
    equal=$(cmp -s "$out/merged.json" "$out/whole.json" && echo yes || echo no)
    read -r ww wu ws <"$out/whole.time"
    read -r _ au as <"$out/shard1.time"
    read -r _ bu bs <"$out/shard2.time"
    python3 -c "print('\t'.join(map(str, [$round, $ww, round($wu + $ws, 2), round($t1 - $t0, 2),
        round($au + $as, 2), round($bu + $bs, 2), '$l0', '$l1', '$equal'])))" | tee -a "$samples"
done
python3 - "$samples" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])][1:]
speedup = [float(r[1]) / float(r[3]) for r in rows]
bound = [float(r[2]) / max(float(r[4]), float(r[5])) for r in rows]
both = [(float(r[4]) + float(r[5])) / float(r[2]) for r in rows]
def fmt(values):
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"
print(f"speedup (whole wall / pair wall), min / median / max: {fmt(speedup)}")
print(f"CPU bound (whole CPU / larger shard's CPU):           {fmt(bound)}")
print(f"CPU of both shards / CPU of the whole run:            {fmt(both)}")
print(f"merged results equal to the whole run's: {sum(r[8] == 'yes' for r in rows)} of {len(rows)} rounds")
PY
