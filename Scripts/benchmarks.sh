#!/usr/bin/env bash
# Measures the figures of docs/benchmarks.md and writes that page.
#
#   Scripts/benchmarks.sh [--quick] [--rounds N] [--out FILE]
#
# Builds the release binary, then runs `orchard bench step` for each figure in rounds: every round
# runs each configuration of every figure once, in reverse order every other round, so that a
# configuration and the dense step it is compared with are measured minutes apart under the same
# load. Each table gives every round's median step, the median over rounds, and for sparse
# configurations the ratio to the same round's dense step and its median. Then the wire's encoded
# bytes against their analytic minimum (`swift test -c release --filter SparseEfficiency`, built in
# .build-tests), and the
# federated quickstart run (and the MNIST FedAvg run when data/mnist exists). The page records the
# commit, the machine and the load average seen before each run.
#
# --quick runs two rounds of a few steps and skips the release test build: a smoke run whose page
# says so at the top. Raw JSON of every run lands in runs/benchmarks/ (runs/benchmarks-quick/).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
rounds=""
out=docs/benchmarks.md
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) quick=1 ;;
        --rounds) rounds=${2:?--rounds needs a count}; shift ;;
        --out) out=${2:?--out needs a file}; shift ;;
        *) echo "benchmarks.sh: unknown argument '$1' (use --quick, --rounds N, --out FILE)" >&2; exit 2 ;;
    esac
    shift
done
if [[ $quick == 1 ]]; then
    rounds=${rounds:-2}
    lenet_steps=30 mlp_steps=200 resnet20_steps=2 resnet18_dense_steps=1 resnet18_sparse_steps=3
else
    rounds=${rounds:-5}
    lenet_steps=300 mlp_steps=2000 resnet20_steps=20 resnet18_dense_steps=5 resnet18_sparse_steps=20
fi
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "benchmarks.sh: --rounds must be a positive integer, got '$rounds'" >&2; exit 2; }

raw=runs/benchmarks
[[ $quick == 1 ]] && raw=runs/benchmarks-quick
mkdir -p "$raw"
rm -f "$raw"/*.json "$raw"/measurements.tsv "$raw"/wire.txt

swift build -c release --product orchard >&2
orchard=.build/release/orchard

commit=$(git rev-parse --short=12 HEAD)
if [[ -n $(git status --porcelain -- Sources Package.swift) ]]; then commit="$commit (with uncommitted changes to Sources or Package.swift)"; fi
started=$(date -u '+%Y-%m-%d %H:%M UTC')
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cores=$(nproc)
memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
swift_version=$(swift --version 2>/dev/null | head -1)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Figures: name | title | configurations, each "label=arguments" (the first is the dense baseline).
resnet18="--model resnet18 --input 3x32x32 --batch 64"
figures=(
    "dense-lenet5|Dense step, LeNet-5 (1x28x28)|dense=--model lenet5 --batch 64 --steps $lenet_steps"
    "dense-mlp|Dense step, MLP 784-300-100-10|dense=--model mlp --batch 64 --steps $mlp_steps"
    "dense-resnet20|Dense step, ResNet-20 (3x32x32)|dense=--model resnet20 --input 3x32x32 --batch 64 --steps $resnet20_steps"
    "sparse-lenet5|Sparse step, LeNet-5 at 5% against dense|dense=--model lenet5 --batch 64 --steps $lenet_steps;5% uniform=--model lenet5 --batch 64 --steps $lenet_steps --density 0.05 --distribution uniform;5% ERK=--model lenet5 --batch 64 --steps $lenet_steps --density 0.05"
    "sparse-resnet18|Sparse step, ResNet-18 (CIFAR, 3x32x32) at 1% against dense|dense=$resnet18 --steps $resnet18_dense_steps;1% uniform=$resnet18 --steps $resnet18_sparse_steps --density 0.01 --distribution uniform;1% ERK=$resnet18 --steps $resnet18_sparse_steps --density 0.01"
)

# Runs one configuration and appends a row to measurements.tsv:
# figure, label, round, load, step ms median, samples/s, peak tensor bytes, state bytes, density.
measure() {
    local figure=$1 label=$2 round=$3 arguments=$4
    local file="$raw/$figure-${label//[^A-Za-z0-9]/_}-$round.json"
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086 # the arguments are a word list by design
    "$orchard" bench step $arguments --threads 1 --json >"$file"
    jq -r --arg f "$figure" --arg l "$label" --arg r "$round" --arg load "$load" \
        '[$f, $l, $r, $load, .step_ms_median, .samples_per_second, .peak_tensor_bytes, .state_bytes, .density] | @tsv' \
        "$file" >>"$raw/measurements.tsv"
    echo "round $round  $figure  $label: $(jq -r '.step_ms_median' "$file") ms" >&2
}

for ((round = 1; round <= rounds; round++)); do
    for entry in "${figures[@]}"; do
        IFS='|' read -r figure _ configurations <<<"$entry"
        IFS=';' read -r -a list <<<"$configurations"
        if ((round % 2 == 0)); then
            reversed=()
            for ((i = ${#list[@]} - 1; i >= 0; i--)); do reversed+=("${list[i]}"); done
            list=("${reversed[@]}")
        fi
        for configuration in "${list[@]}"; do
            measure "$figure" "${configuration%%=*}" "$round" "${configuration#*=}"
        done
    done
done

# The wire: each sparse frame's bytes against values plus the mask's binary entropy.
wire_status="not measured: --quick skips the release test build"
if [[ $quick == 0 ]]; then
    # Its own scratch path: building tests enables testability, which the benchmarked binary must not have.
    if swift test -c release --scratch-path .build-tests --filter SparseEfficiency >"$raw/wire.txt" 2>&1; then
        wire_status=measured
    else
        wire_status="not measured: swift test -c release --filter SparseEfficiency failed (see $raw/wire.txt)"
    fi
fi

# Federated runs: the quickstart (generated data) always, the MNIST FedAvg run when its data exists.
federated() {
    local name=$1 topology=$2
    local db="$raw/$name.sqlite"
    rm -f "$db" "$db-wal" "$db-shm"
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    "$orchard" run "$topology" --processes 2 --db "$db" >"$raw/$name-run.txt" 2>&1
    "$orchard" report "$db" --json >"$raw/$name-report.json"
    echo "$load" >"$raw/$name-load.txt"
}
federated quickstart topologies/quickstart.yaml
mnist_status="not measured: data/mnist is absent (Scripts/fetch-mnist.sh fetches it)"
if [[ -f data/mnist/train-images-idx3-ubyte || -f data/mnist/train-images-idx3-ubyte.gz ]]; then
    federated mnist-fedavg-10 topologies/mnist-fedavg-10.yaml
    mnist_status=measured
fi
# A million logical clients against a thousand (Scripts/bench-clients.sh).
clients_load=$(cut -d' ' -f1 /proc/loadavg)
ORCHARD="$orchard" Scripts/bench-clients.sh >"$raw/clients.md"

load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)
ended=$(date -u '+%Y-%m-%d %H:%M UTC')

# --- The page ---------------------------------------------------------------------------------

# The paired section Scripts/paired-benchmarks.sh wrote stays at the end of the page.
paired=""
[[ -f $out ]] && paired=$(awk '/^<!-- paired:begin -->$/, /^<!-- paired:end -->$/' "$out")

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column() { awk -F'\t' -v f="$1" -v l="$2" -v c="$3" '$1 == f && $2 == l { print $c }' "$raw/measurements.tsv"; }
joined() { paste -sd/ - | sed 's|/| / |g'; }
fixed() { awk -v d="$1" '{ printf "%.*f\n", d, $1 }'; }
grouped() { awk '{ s = sprintf("%d", $1); t = ""; while (length(s) > 3) { t = "," substr(s, length(s) - 2) t; s = substr(s, 1, length(s) - 3) } print s t }'; }
decimals_for() { awk -v v="$1" 'BEGIN { print (v < 1 ? 3 : (v < 100 ? 2 : 1)) }'; }
# Ratios of the dense step to a configuration's, round by round.
ratios() {
    local figure=$1 label=$2
    paste <(column "$figure" dense 5) <(column "$figure" "$label" 5) | awk '{ printf "%.2f\n", $1 / $2 }'
}

{
    if [[ $quick == 1 ]]; then
        echo "> **Smoke run (\`Scripts/benchmarks.sh --quick\`)**: $rounds rounds of a few steps each, no wire"
        echo "> figures. These numbers check that the script works; they are not the reference figures,"
        echo "> which \`Scripts/benchmarks.sh\` (without \`--quick\`) measures."
        echo
    fi
    cat <<EOF
# Benchmarks

This page is written by \`Scripts/benchmarks.sh\`; do not edit it by hand. Rerun the script to
measure again.

| | |
|---|---|
| commit | \`$commit\` |
| measured | $started to $ended |
| machine | $cores x "$cpu", $memory, $(uname -sr) |
| toolchain | $swift_version, \`swift build -c release\`, one OpenBLAS thread per process |
| load average (1, 5, 15 min) | $load_at_start at the start, $load_at_end at the end |
| rounds | $rounds |

The machine may be shared: wall-clock figures move with the load, which each table gives (the
1-minute load average before each run). So every table gives each round's figure and the median
over rounds, and a sparse step is compared with the dense step of the same round: a round runs
every configuration once, in reverse order every other round. \`orchard bench step\` times
forward, backward and the SGD update on a random batch after 3 untimed warm-up steps; a figure is
the median of its timed steps. Sparse configurations use a random mask (seed 0) at the given
density over the prunable weights, \`uniform\` (every layer at that density) or ERK (the default:
small layers keep more), with \`--storage automatic\` (\`docs/kernels.md\` says which layers then
run sparse). Peak tensor bytes are the engine's own count of live tensors; state bytes are
parameters (with sparse indices), gradients and momentum.
## The Benchmarks package

The same steps, and the sparse kernels against the dense path per layer shape, also run as
benchmarks of ordo-one's package-benchmark in the package \`Benchmarks/\` (its own package, so the
main build and CI do not build the benchmark driver; it depends on this package by path):

    cd Benchmarks
    swift package benchmark                                  # every benchmark
    swift package benchmark --target StepBenchmarks          # training steps of the models above
    swift package benchmark --target KernelBenchmarks        # dense and sparse steps per layer shape
    swift package --allow-writing-to-package-directory benchmark baseline update before  # keep a baseline
    swift package benchmark baseline compare before          # after a change: against it

\`StepBenchmarks\` holds the models of this page (MLP, LeNet-5 dense and at 5%, ResNet-20, ResNet-18
at 1% uniform and ERK); \`KernelBenchmarks\` the shapes behind the thresholds of \`SparseDispatch\`
(\`docs/kernels.md\`). Their figures are package-benchmark's percentiles, not this page's tables.
\`orchard bench step\` (\`Sources/orchard/StepBenchmark.swift\`) stays in the executable because
this page's scripts and \`orchard bench\` users time a model from the command line without
building the benchmark driver.
EOF
    for entry in "${figures[@]}"; do
        IFS='|' read -r figure title configurations <<<"$entry"
        IFS=';' read -r -a list <<<"$configurations"
        echo
        echo "## $title"
        echo
        echo "Commands, one run each per round:"
        echo
        for configuration in "${list[@]}"; do
            echo "    orchard bench step ${configuration#*=} --threads 1 --json"
        done
        echo
        loads=$(awk -F'\t' -v f="$figure" '$1 == f { print $4 }' "$raw/measurements.tsv" | sort -g)
        echo "Load average before the runs: $(head -1 <<<"$loads") to $(tail -1 <<<"$loads")."
        echo
        dense_state=$(column "$figure" dense 8 | head -1)
        if [[ ${#list[@]} == 1 ]]; then
            echo "| step (ms), rounds | median step (ms) | samples/s, median | GFLOP per step | peak tensor bytes |"
            echo "|---|---|---|---|---|"
            steps=$(column "$figure" dense 5)
            first=$(head -1 <<<"$steps")
            digits=$(decimals_for "$first")
            gflop=$(jq -r '.flops_per_step / 1e9' "$raw/$figure-dense-1.json" | fixed 3)
            echo "| $(fixed "$digits" <<<"$steps" | joined) | $(median <<<"$steps" | fixed "$digits")" \
                "| $(column "$figure" dense 6 | median | grouped) | $gflop" \
                "| $(column "$figure" dense 7 | head -1 | grouped) |"
            continue
        fi
        echo "| configuration | step (ms), rounds | median step (ms) | dense / this, rounds | median ratio | state bytes (of dense) | peak tensor bytes |"
        echo "|---|---|---|---|---|---|---|"
        for configuration in "${list[@]}"; do
            label=${configuration%%=*}
            steps=$(column "$figure" "$label" 5)
            digits=$(decimals_for "$(head -1 <<<"$steps")")
            state=$(column "$figure" "$label" 8 | head -1)
            share=$(awk -v s="$state" -v d="$dense_state" 'BEGIN { printf "%.2f%%", 100 * s / d }')
            if [[ $label == dense ]]; then
                ratio_cells="- | -"
            else
                ratio_cells="$(ratios "$figure" "$label" | joined) | **$(ratios "$figure" "$label" | median | fixed 2)x**"
            fi
            echo "| $label | $(fixed "$digits" <<<"$steps" | joined) | $(median <<<"$steps" | fixed "$digits")" \
                "| $ratio_cells | $(grouped <<<"$state") ($share) | $(column "$figure" "$label" 7 | head -1 | grouped) |"
        done
    done

    echo
    echo "## The wire: encoded bytes against the analytic minimum"
    echo
    echo "Command: \`swift test -c release --scratch-path .build-tests --filter SparseEfficiency\`. Random masks and values (seed"
    echo "2026) are encoded as a sparse tensor frame; each figure is the frame's bytes over the analytic"
    echo "minimum: the values plus N·H(d)/8 bytes for the mask, H the binary entropy. \"mask alone\" is a"
    echo "frame that carries positions only."
    echo
    if [[ $wire_status == measured ]]; then
        echo "| tensor entries | density | f32 values | f16 values | mask alone | encoding |"
        echo "|---|---|---|---|---|---|"
        awk '
            /(sparse|mask) efficiency: N=/ {
                match($0, /N=[0-9]+/); n = substr($0, RSTART + 2, RLENGTH - 2)
                match($0, /d=[0-9.]+/); d = substr($0, RSTART + 2, RLENGTH - 2)
                match($0, /ratio [0-9.]+/); r = substr($0, RSTART + 6, RLENGTH - 6)
                match($0, /kept [0-9]+, [a-zA-Z]+/); e = substr($0, RSTART, RLENGTH); sub(/kept [0-9]+, /, "", e)
                key = n " " d
                if (!(key in seen)) { seen[key] = 1; order[++count] = key }
                if ($0 ~ /mask efficiency/) mask[key] = r
                else if ($0 ~ / f16:/) f16[key] = r
                else { f32[key] = r; encoding[key] = e }
            }
            END {
                for (i = 1; i <= count; i++) {
                    split(order[i], part, " ")
                    printf "| %d | %g%% | %s | %s | %s | %s |\n", part[1], 100 * part[2], f32[order[i]], f16[order[i]], mask[order[i]], encoding[order[i]]
                }
            }' "$raw/wire.txt" | sort -t'|' -k2,2g -k3,3g
    else
        echo "$wire_status."
    fi

    echo
    echo "## Federated runs"
    echo
    echo "Command: \`orchard run TOPOLOGY --processes 2 --db FILE\`, then \`orchard report FILE --json\`:"
    echo "real processes, ZeroMQ over loopback, SQLite. Wall time is the coordinator's, from start to"
    echo "the last commit; the overhead is the coordinator's own share of the rounds' wall time."
    echo
    echo "| topology | load before | wall time (s) | final accuracy | best accuracy | bytes down | bytes up | coordinator overhead | final model SHA-256 |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for name in quickstart mnist-fedavg-10; do
        report="$raw/$name-report.json"
        [[ -f $report ]] || continue
        jq -r --arg name "$name" --arg load "$(cat "$raw/$name-load.txt")" '
            def pct: if . == null then "-" else (. * 10000 | round / 100 | tostring) + "%" end;
            def tenths: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
            "| `topologies/\($name).yaml` | \($load) | \(.wall_seconds | tenths) | \(.final_accuracy | pct)"
            + " | \(.best_accuracy | pct) | \(.bytes_down) | \(.bytes_up) | \(.coordinator_overhead_fraction | pct)"
            + " | `\((.final_model_sha256 // "-")[0:16])` |"' "$report"
    done
    if [[ $mnist_status != measured ]]; then
        echo
        echo "\`topologies/mnist-fedavg-10.yaml\`: $mnist_status."
    fi

    echo
    echo "## Many clients"
    echo
    echo "Command: \`Scripts/bench-clients.sh\`: \`orchard run topologies/synthetic-million.yaml --processes 2\`"
    echo "(Synthetic(0.5, 0.5), MLP, FedAvg, 100 clients a round, 5 rounds) with the group's count at"
    echo "1,000,000 and at 1,000. The first round is timed from starting \`orchard run\` to the round's"
    echo "commit; peak RSS is each process's VmHWM; a round's time is its wall time in the run file."
    echo "Load average before: $clients_load."
    echo
    cat "$raw/clients.md"
} >"$out"
if [[ -n $paired ]]; then printf '\n%s\n' "$paired" >>"$out"; fi
echo "wrote $out" >&2
