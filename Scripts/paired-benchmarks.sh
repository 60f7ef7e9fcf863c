#!/usr/bin/env bash
# Measures a change's step times against its base, paired, and writes the result into
# docs/benchmarks.md between the markers `<!-- paired:begin -->` and `<!-- paired:end -->`.
#
#   Scripts/paired-benchmarks.sh --before COMMIT --after COMMIT [--rounds N] [--worktree DIR] [--out FILE]
#
# Builds the release binary of each commit in one detached `git worktree` (DIR, by default
# .build-paired/checkout; the second build reuses the first one's packages), keeps both binaries
# in runs/paired/, then runs every benchmark with both in rounds: the order of the two alternates
# from round to round, so both see the same load. Each row gives both medians over rounds and the
# change's step over the base's, round by round and its median: below 1 is faster. Raw JSON lands
# in runs/paired/. Scripts/benchmarks.sh keeps the section when it rewrites the page.
set -euo pipefail
cd "$(dirname "$0")/.."

before="" after="" rounds=7 out=docs/benchmarks.md worktree=.build-paired/checkout
while [[ $# -gt 0 ]]; do
    case $1 in
        --before) before=${2:?--before needs a commit}; shift ;;
        --after) after=${2:?--after needs a commit}; shift ;;
        --rounds) rounds=${2:?--rounds needs a count}; shift ;;
        --worktree) worktree=${2:?--worktree needs a folder}; shift ;;
        --out) out=${2:?--out needs a file}; shift ;;
        *) echo "paired-benchmarks.sh: unknown argument '$1' (use --before, --after, --rounds, --worktree, --out)" >&2; exit 2 ;;
    esac
    shift
done
[[ -n $before && -n $after ]] || { echo "paired-benchmarks.sh: give --before COMMIT and --after COMMIT" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "paired-benchmarks.sh: --rounds must be a positive integer, got '$rounds'" >&2; exit 2; }
commit_before=$(git rev-parse --short=12 --verify "$before^{commit}") || { echo "paired-benchmarks.sh: no commit '$before'" >&2; exit 2; }
commit_after=$(git rev-parse --short=12 --verify "$after^{commit}") || { echo "paired-benchmarks.sh: no commit '$after'" >&2; exit 2; }

raw=runs/paired
mkdir -p "$raw"
rm -f "$raw"/*.json "$raw"/measurements.tsv
[[ -d $worktree ]] || git worktree add --detach "$worktree" "$commit_before" >&2
for commit in "$commit_before" "$commit_after"; do
    git -C "$worktree" checkout --quiet --detach "$commit"
    (cd "$worktree" && swift build -c release --product orchard >&2)
    cp "$worktree/.build/release/orchard" "$raw/orchard-$commit"
done
binary_before=$raw/orchard-$commit_before
binary_after=$raw/orchard-$commit_after


# Benchmarks: label | arguments of `orchard bench step`.
resnet18="--model resnet18 --input 3x32x32 --batch 64 --steps 20"
lenet5="--model lenet5 --batch 64 --steps 300"
benchmarks=(
    "ResNet-18 1% uniform|$resnet18 --density 0.01 --distribution uniform"
    "ResNet-18 1% ERK|$resnet18 --density 0.01"
    "LeNet-5 5% uniform|$lenet5 --density 0.05 --distribution uniform"
    "LeNet-5 5% ERK|$lenet5 --density 0.05"
    "LeNet-5 dense|$lenet5"
    "ResNet-20 dense|--model resnet20 --input 3x32x32 --batch 64 --steps 20"
    "MLP dense|--model mlp --batch 64 --steps 2000"
)

# Runs one benchmark with one side's binary and appends: label, side, round, load, median step ms.
measure() {
    local label=$1 side=$2 round=$3 arguments=$4 binary=$5
    local file="$raw/${label//[^A-Za-z0-9]/_}-$side-$round.json" load
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086 # the arguments are a word list by design
    "$binary" bench step $arguments --threads 1 --json >"$file"
    jq -r --arg l "$label" --arg s "$side" --arg r "$round" --arg load "$load" \
        '[$l, $s, $r, $load, .step_ms_median] | @tsv' "$file" >>"$raw/measurements.tsv"
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$rounds"); do
    for entry in "${benchmarks[@]}"; do
        label=${entry%%|*} arguments=${entry#*|}
        if ((round % 2)); then
            measure "$label" before "$round" "$arguments" "$binary_before"
            measure "$label" after "$round" "$arguments" "$binary_after"
        else
            measure "$label" after "$round" "$arguments" "$binary_after"
            measure "$label" before "$round" "$arguments" "$binary_before"
        fi
    done
    echo "round $round of $rounds done" >&2
done
ended=$(date -u '+%Y-%m-%d %H:%M UTC')
load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column() { awk -F'\t' -v l="$1" -v s="$2" -v c="$3" '$1 == l && $2 == s { print $c }' "$raw/measurements.tsv"; }

section=$(
    echo "<!-- paired:begin -->"
    echo "## Paired: a change against its base"
    echo
    echo "Written by \`Scripts/paired-benchmarks.sh --before $commit_before --after $commit_after --rounds $rounds\`; rerun it to"
    echo "measure again. Base \`$commit_before\`, change \`$commit_after\`, measured $started to $ended,"
    echo "load average $load_at_start at the start and $load_at_end at the end. Each round runs every"
    echo "benchmark with both binaries one after the other, in alternating order; the ratio is the"
    echo "change's median step over the base's in the same round (below 1: faster)."
    echo
    echo "Command: \`orchard bench step ARGUMENTS --threads 1 --json\` with each binary."
    echo
    echo "| benchmark | arguments | base step (ms), median | change step (ms), median | change / base, rounds | median ratio |"
    echo "|---|---|---|---|---|---|"
    for entry in "${benchmarks[@]}"; do
        label=${entry%%|*} arguments=${entry#*|}
        base=$(column "$label" before 5 | median)
        change=$(column "$label" after 5 | median)
        ratios=$(paste <(column "$label" before 5) <(column "$label" after 5) | awk '{ printf "%.3f\n", $2 / $1 }')
        echo "| $label | \`$arguments\` | $(printf '%.3f' "$base") | $(printf '%.3f' "$change") |" \
            "$(paste -sd/ - <<<"$ratios" | sed 's|/| / |g') | **$(median <<<"$ratios" | awk '{ printf "%.3f", $1 }')** |"
    done
    echo "<!-- paired:end -->"
)

# Replaces the section in the page, or appends it.
if grep -q '^<!-- paired:begin -->$' "$out"; then
    section=$section awk '
        /^<!-- paired:begin -->$/ { print ENVIRON["section"]; skipping = 1; next }
        /^<!-- paired:end -->$/ { skipping = 0; next }
        !skipping { print }' "$out" >"$out.tmp"
    mv "$out.tmp" "$out"
else
    printf '\n%s\n' "$section" >>"$out"
fi
echo "wrote the paired section of $out" >&2
