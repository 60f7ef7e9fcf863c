#!/usr/bin/env bash
# Runs a method comparison: builds release Orchard and runs a sweep file of topologies/sweeps/.
#
#   Scripts/compare.sh SWEEP [orchard sweep options]
#   Scripts/compare.sh topologies/sweeps/compare-mnist-lenet5.yaml --parallel 2
#
# The runs land in runs/sweeps/<sweep>/runs/, the table in summary.md and summary.json, and the
# charts in report.html; a second call runs only what is missing. docs/sweeps.md says more.
set -euo pipefail
cd "$(dirname "$0")/.."

sweep=${1:?usage: Scripts/compare.sh SWEEP [orchard sweep options]}
shift
swift build -c release --product orchard >&2
out=runs/sweeps/$(basename "$sweep" .yaml)
exec .build/release/orchard sweep "$sweep" --out "$out" --html "$out/report.html" "$@"
