#!/usr/bin/env bash
# Installs what is missing, builds a release binary, and runs the quickstart federation on data
# Orchard generates itself twice: dense FedAvg, and FedDST training a model pruned to 10% of its
# prunable weights. Each run is a coordinator and client-host processes on this machine, recorded
# in runs/demo/. It prints the two side by side (accuracy, bytes, FLOPs, peak client memory) and
# writes their curves to one HTML page, whose path it prints last.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh
swift build -c release --product orchard
orchard=".build/release/orchard"
topology=topologies/quickstart.yaml
sparse="method={name: feddst, density: 10%, budget: prunable}"

mkdir -p runs/demo
rm -f runs/demo/fedavg.sqlite* runs/demo/feddst.sqlite*
"$orchard" validate "$topology"
"$orchard" validate "$topology" --set "$sparse"
"$orchard" run "$topology" --db runs/demo/fedavg.sqlite
"$orchard" run "$topology" --db runs/demo/feddst.sqlite --set "$sparse"
"$orchard" compare runs/demo/fedavg.sqlite runs/demo/feddst.sqlite --html runs/demo/compare.html |
    sed '/^Client figures/,$d'
echo "The two runs' curves (accuracy against rounds, bytes and FLOPs): $(pwd)/runs/demo/compare.html"
