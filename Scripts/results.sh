#!/usr/bin/env bash
# Regenerates docs/results.md and its figures (docs/results/) at the checked-out commit: fetches
# MNIST, builds release Orchard, runs the sweep files topologies/sweeps/results-*.yaml, and writes
# every table and figure from their run files. Nothing in the page is typed by hand but the prose
# of the template below, which states no figure.
#
#   Scripts/results.sh [--parallel N]
#
# The runs land in runs/results/COMMIT/SWEEP/, so a second call at the same commit runs only what
# is missing (after an interruption, say). A tree with uncommitted changes is refused, so that the
# page names the commit that produced it; ORCHARD_RESULTS_ALLOW_DIRTY=1 lifts the check, for trying
# the script. One sweep alone runs with `orchard sweep` (docs/sweeps.md).
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

started=$SECONDS
for entry in "${sweeps[@]}"; do
    IFS='|' read -r name title options <<<"$entry"
    echo "results: sweep $name" >&2
    rm -rf "docs/results/$name"
    # shellcheck disable=SC2086 # the options are words
    "$orchard" sweep "topologies/sweeps/$name.yaml" --out "runs/results/$commit/$name" --parallel "$parallel" \
        --figures "docs/results/$name" --figures-link "results/$name" --series method $options >/dev/null
done
minutes=$(((SECONDS - started) / 60))

page=docs/results.md
{
    cat <<EOF
# Results: federated pruning methods compared

Every figure on this page was produced by \`Scripts/results.sh\` at commit \`$commit\`, from the
sweep files \`topologies/sweeps/results-*.yaml\` (their seeds, rounds and settings are in the files;
\`docs/sweeps.md\` describes the format). Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),
each run a coordinator and client-host processes; the last call of the script ran for $minutes minutes.

How to read it:

- **Final accuracy** is the mean test accuracy of a run's last 5 evaluations; a cell shows the mean
  ± sample sd over its seeds. **Best** is the best evaluation of a run, averaged the same way.
- **Bytes** are payload bytes on the wire over the whole run (up: clients to server); **training
  FLOPs** are what every client's engine counted; **peak client memory** is the largest peak of live
  tensor bytes any client measured in a task.
- **Curves** draw each method's mean test accuracy with a band of ± one sd over the seeds, against
  rounds and against cumulative bytes (up and down).
- **Ladders** draw final accuracy against the density of the prunable weights (at the density the
  method is asked for).
- **FedTiny against the best other method**: the verdict is *ahead* or *behind* only when the means
  differ by more than twice the standard error of their difference.

The server's labelled set (FedTiny's pretraining, SNIP and GraSP scoring) is drawn from the training
split; the test split serves evaluation only.

EOF
    for entry in "${sweeps[@]}"; do
        IFS='|' read -r name title _ <<<"$entry"
        echo "## $title"
        echo
        echo "\`topologies/sweeps/$name.yaml\`; run files in \`runs/results/$commit/$name/\`."
        echo
        cat "runs/results/$commit/$name/figures.md"
        echo
    done
} >"$page"
echo "results: wrote $page (commit $commit)" >&2
