#!/usr/bin/env bash
# Installs what is missing, builds a release binary, and runs the main job on embedded data.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh
swift build -c release --product orchard
orchard=".build/release/orchard"

echo "== LeNet-5, one epoch on the generated 1x28x28 image set"
"$orchard" train --model lenet5 --dataset synthetic-images --epochs 1 --batch 64 --lr 0.05 \
    --momentum 0.9 --seed 0
