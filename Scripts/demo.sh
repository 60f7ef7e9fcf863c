#!/usr/bin/env bash
# Installs what is missing, builds a release binary, and runs the quickstart federation on data
# Orchard generates itself: a coordinator and client-host processes on this machine, recorded in
# runs/quickstart.sqlite, then its report.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh
swift build -c release --product orchard
orchard=".build/release/orchard"

rm -f runs/quickstart.sqlite runs/quickstart.sqlite-wal runs/quickstart.sqlite-shm
"$orchard" validate topologies/quickstart.yaml
"$orchard" run topologies/quickstart.yaml --db runs/quickstart.sqlite
