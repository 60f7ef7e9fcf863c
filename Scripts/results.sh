#!/usr/bin/env bash
# Regenerates docs/results.md and its figures (docs/results/) at the checked-out commit: fetches
# MNIST, builds release Orchard, runs the sweep files topologies/sweeps/results-*.yaml, and writes
# every table and figure from their run files. With CIFAR-10's binary files in data/cifar10 it also
# runs the FedTiny paper's setting (ResNet-18 and VGG-11); without them it measures step times and
# states how long that would take here. Nothing in the page is typed by hand but the prose of the
# template below, which states no figure.
#
#   Scripts/results.sh [--parallel N]
#
# The runs land in runs/results/SOURCES/SWEEP/, SOURCES being the last commit that changed Sources/
# (but OrchardReport, which only reads run files and draws) or Package.swift: what a run computes
# depends on those alone (and on its topology, which a sweep
# checks against each run file), so a second call runs only what is missing (after an
# interruption, or after a change to docs or scripts). A tree with uncommitted changes is refused,
# so that the page names the commits that produced it; ORCHARD_RESULTS_ALLOW_DIRTY=1 lifts the
# check, for trying the script. One sweep alone runs with `orchard sweep` (docs/sweeps.md).
set -euo pipefail
cd "$(dirname "$0")/.."

parallel=1
if [ $# -gt 0 ]; then
    [ "$1" = --parallel ] && [ $# -eq 2 ] || {
        echo "usage: Scripts/results.sh [--parallel N]" >&2
        exit 2
    }
    parallel=$2
fi

if [ -n "$(git status --porcelain --untracked-files=no)" ] && [ "${ORCHARD_RESULTS_ALLOW_DIRTY:-0}" != 1 ]; then
    echo "results: the tree has uncommitted changes; commit them so that the page can name its commit" >&2
    exit 1
fi
commit=$(git rev-parse --short=7 HEAD)
# OrchardReport only reads run files and draws: it is left out.
sources=$(git log -1 --format=%h --abbrev=7 -- Sources Package.swift ':(exclude)Sources/OrchardReport')

Scripts/fetch-mnist.sh
swift build -c release --product orchard >&2
orchard=.build/release/orchard

# Each sweep: its name, its title in the page, and the figure options: the series axis is the
# method; a ladder needs a density axis; the verdicts compare FedTiny with the best other method.
sweeps=(
    "results-mnist-lenet5-dense|MNIST, LeNet-5: dense FedAvg by label skew|"
    "results-mnist-lenet5|MNIST, LeNet-5 (no batch norm): every sparse method by density and label skew|--ladder method.density --versus fedtiny"
    "results-mnist-resnet8-dense|MNIST, ResNet-8 at half width: dense FedAvg by label skew|"
    "results-mnist-resnet8|MNIST, ResNet-8 at half width (batch norm): every sparse method by density, Dirichlet(0.5)|--ladder method.density --versus fedtiny"
)
cifar=data/cifar10
has_cifar=false
if [ -f "$cifar/data_batch_1.bin" ] || [ -f "$cifar/cifar-10-batches-bin/data_batch_1.bin" ]; then
    has_cifar=true
fi
if $has_cifar; then
    sweeps+=(
        "results-cifar10-dense|CIFAR-10 (the FedTiny paper's setting): dense FedAvg, ResNet-18 and VGG-11|"
        "results-cifar10-resnet18|CIFAR-10, ResNet-18: every sparse method by density|--ladder method.density --versus fedtiny"
        "results-cifar10-vgg11|CIFAR-10, VGG-11: every sparse method by density|--ladder method.density --versus fedtiny"
    )
fi

for entry in "${sweeps[@]}"; do
    IFS='|' read -r name title options <<<"$entry"
    echo "results: sweep $name" >&2
    rm -rf "docs/results/$name"
    # shellcheck disable=SC2086 # the options are words
    "$orchard" sweep "topologies/sweeps/$name.yaml" --out "runs/results/$sources/$name" --parallel "$parallel" \
        --figures "docs/results/$name" --figures-link "results/$name" --series method $options >/dev/null
done

# Without CIFAR-10: one ResNet-18 and VGG-11 step, dense and at each density of the ladder.
estimate=""
if ! $has_cifar; then
    steps=$(mktemp -d)
    for model in resnet18 vgg11; do
        for density in 1 0.1 0.05 0.03 0.02 0.01; do
            echo "results: step time of $model at density $density" >&2
            "$orchard" bench step --model "$model" --input 3x32x32 --batch 64 --steps 5 --density "$density" \
                --json >"$steps/$model-$density.json"
        done
    done
    # 300 rounds x 10 clients x 5 epochs x ceil(500 / 64) steps, on this machine's cores.
    estimate=$(Scripts/results-tables.py cifar 300 10 5 8 "$(nproc)" "$steps"/resnet18-*.json "$steps"/vgg11-*.json)
    rm -rf "$steps"
fi

page=docs/results.md
{
    cat <<EOF
# Results: federated pruning methods compared

Every figure on this page was produced by \`Scripts/results.sh\` at commit \`$commit\` from runs of
the sources at commit \`$sources\` (the last commit that changed \`Package.swift\` or \`Sources/\` but
\`OrchardReport\`, which only reads run files and draws),
of the sweep files \`topologies/sweeps/results-*.yaml\` (their seeds, rounds and settings are in
the files; \`docs/sweeps.md\` describes the format). Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),
each run a coordinator and client-host processes.

How to read it:

- **Final accuracy** is the mean test accuracy of a run's last 5 evaluations; a cell shows the mean
  ± sample sd over its seeds. **Best** is the best evaluation of a run, averaged the same way.
- **Bytes** are payload bytes on the wire over the whole run (up: clients to server); **training
  FLOPs** are what every client's engine counted; **peak client memory** is the largest peak of live
  tensor bytes any client measured in a task.
- **Curves** draw each method's mean test accuracy with a band of ± one sd over the seeds, against
  rounds and against cumulative bytes (up and down).
- **Ladders** draw final accuracy against the density each method is asked for: of all trained
  parameters for LeNet-5, of the prunable weights for ResNet-8 (the sweep files say which).
- **FedTiny against the best other method**: the verdict is *ahead* or *behind* only when the means
  differ by more than twice the standard error of their difference.

The server's labelled set (FedTiny's pretraining, SNIP and GraSP scoring) is drawn from the training
split; the test split serves evaluation only.

EOF
    for entry in "${sweeps[@]}"; do
        IFS='|' read -r name title options <<<"$entry"
        echo "## $title"
        echo
        echo "\`topologies/sweeps/$name.yaml\`; the script keeps its run files in \`runs/results/$sources/$name/\` (not in git);" \
            "$(Scripts/results-tables.py runs "runs/results/$sources/$name")"
        echo
        if [[ $options == *--versus* ]]; then
            Scripts/results-tables.py verdicts "runs/results/$sources/$name" fedtiny
            echo
        fi
        cat "runs/results/$sources/$name/figures.md"
        echo
        if [[ $options == *--ladder* ]]; then
            cat <<EOF
### What the masks reach

Over every run of each cell (its seeds and label skews), from the run files.

$(Scripts/results-tables.py health "runs/results/$sources/$name" "$orchard")

FedTiny's adaptive batch-norm selection of its coarse-pruned candidate, over every FedTiny run: a
selection is *indistinguishable* when every candidate's validation loss lies within 1% of the
others, so that the pick is decided by noise; batch-norm statistics recalibrated on the clients'
data are what separates the candidates, and a model without batch norm has none.

$(Scripts/results-tables.py selections "runs/results/$sources/$name" "$orchard")

EOF
        fi
    done
    if [ -n "$estimate" ]; then
        cat <<EOF
## CIFAR-10: the FedTiny paper's setting, estimated

\`data/cifar10\` holds no CIFAR-10 files here, so the paper's setting (\`topologies/cifar10-resnet18.yaml\`,
\`topologies/cifar10-vgg11.yaml\` and their sweeps \`topologies/sweeps/results-cifar10-*.yaml\`: 100
devices, Dirichlet(0.5), 10 a round, 5 local epochs, 300 rounds) did not run. With the files there,
this script runs it; this is how long that would take on this machine.

$estimate
EOF
    fi
} >"$page"
echo "results: wrote $page (commit $commit, runs of $sources)" >&2
