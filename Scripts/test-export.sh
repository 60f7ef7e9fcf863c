#!/usr/bin/env bash
# Checks `orchard export` against the outside world (docs/export.md): makes small runs on generated
# data (LeNet-5, ResNet-8 and VGG-11 with batch norm, dense and at 5% density, and LeNet-5 on
# standardised MNIST-format bytes, whose graph starts with the normalisation), exports each as ONNX
# (sparse and --dense) and safetensors (--masks) with Orchard's reference outputs, and runs
# Scripts/export-checks.py: onnx.checker on every file, onnxruntime's logits and accuracy against
# Orchard's, PyTorch's layer outputs and gradients on the same weights and batch. Then starts a run
# from an exported file (`model.init`) and checks that it evaluates to the recorded accuracy.
#
# Python packages come from a virtual environment under .build/export-venv: Debian's python3-torch
# (CPU) through --system-site-packages, and onnx, onnxruntime and safetensors from PyPI, pinned to
# versions that work with Debian's numpy 1.24. Skips with a message, exit 0, when they cannot be
# installed. Uses the debug build of `orchard` (ORCHARD=path overrides it).
#
#   Scripts/test-export.sh
set -euo pipefail
cd "$(dirname "$0")/.."

orchard=${ORCHARD:-.build/debug/orchard}
venv=.build/export-venv
python=$venv/bin/python

install_python() {
    if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
        if [[ $(id -u) == 0 ]]; then
            apt-get install -y -q python3-torch python3-venv >/dev/null || return 1
        else
            sudo -n apt-get install -y -q python3-torch python3-venv >/dev/null || return 1
        fi
    fi
    [[ -x $python ]] || /usr/bin/python3 -m venv --system-site-packages "$venv" || return 1
    "$python" -c "import onnx, onnxruntime, safetensors" 2>/dev/null ||
        "$venv/bin/pip" install -q "numpy<2" "onnx>=1.14,<1.17" "onnxruntime>=1.16,<1.21" "safetensors>=0.4" ||
        return 1
    "$python" -c "import numpy, torch, onnx, onnxruntime, safetensors; torch.from_numpy(numpy.zeros(1))"
}

if ! install_python; then
    echo "SKIPPED: the export checks need python3-torch (Debian) and onnx, onnxruntime, safetensors (PyPI)," \
        "which could not be installed here"
    exit 0
fi
[[ -x $orchard ]] || swift build --product orchard

work=$(mktemp -d /tmp/orchard-export.XXXXXX)
# KEEP_EXPORT_WORK=1 keeps the runs and exports for a look after a failure.
[[ ${KEEP_EXPORT_WORK:-0} == 1 ]] && echo "work folder: $work" || trap 'rm -rf "$work"' EXIT

# The topology of one case: model, model settings, data set and method.
topology() {
    local name=$1 model=$2 dataset=$3 method=$4
    cat <<YAML
name: $name
seed: 3
rounds: 2
dataset: $dataset
model: $model
method: $method
training: {epochs: 1, batch: 16, lr: 0.05}
clients_per_round: 2
checkpoint_every: 1
groups:
  - name: devices
    count: 3
YAML
}

"$python" Scripts/export-checks.py --write-idx "$work/idx"
idx="{kind: mnist, path: $work/idx, pixels: standardised}"
grey="{kind: synthetic-images, train_samples: 240, test_samples: 120}"
rgb="{kind: synthetic-images-rgb, train_samples: 120, test_samples: 60}"
sparse="{name: fixed-mask, density: 5%, criterion: magnitude}"
cases=(
    "lenet5-dense|lenet5|$grey|fedavg"
    "lenet5-5pct|lenet5|$grey|$sparse"
    "lenet5-idx-5pct|lenet5|$idx|$sparse"
    "resnet8-dense|{name: resnet8, width: 0.25}|$rgb|fedavg"
    "resnet8-5pct|{name: resnet8, width: 0.25}|$rgb|$sparse"
    "vgg11-dense|{name: vgg11, width: 0.125}|$rgb|fedavg"
    "vgg11-5pct|{name: vgg11, width: 0.125}|$rgb|$sparse"
)

for entry in "${cases[@]}"; do
    IFS='|' read -r name model dataset method <<<"$entry"
    # EXPORT_CASE=NAME runs that case alone.
    [[ -n ${EXPORT_CASE:-} && $name != "$EXPORT_CASE" ]] && continue
    echo "== $name"
    case=$work/$name
    mkdir -p "$case"
    topology "$name" "$model" "$dataset" "$method" >"$case/topology.yaml"
    "$orchard" run "$case/topology.yaml" --db "$case/run.sqlite" --processes 1 >"$case/run.log" 2>&1 ||
        { cat "$case/run.log"; exit 1; }
    "$orchard" export "$case/run.sqlite" --format onnx --out "$case/model.onnx" \
        --reference "$case/reference.safetensors"
    "$orchard" export "$case/run.sqlite" --format onnx --dense --out "$case/model-dense.onnx"
    "$orchard" export "$case/run.sqlite" --format safetensors --masks --out "$case/model.safetensors"
    printf '{"model": "%s"}\n' "$(sed -n 's/^model: {name: \([a-z0-9]*\).*/\1/p; s/^model: \([a-z0-9]*\)$/\1/p' \
        "$case/topology.yaml")" >"$case/case.json"
    "$python" Scripts/export-checks.py "$case"
    # A run started from the export evaluates, before any training, to the accuracy recorded.
    recorded=$("$python" -c "
from safetensors import safe_open
print(safe_open('$case/model.safetensors', framework='np').metadata()['accuracy'])")
    sed "s|^model: .*|model: {name: $(sed -n 's/.*"model": "\(.*\)".*/\1/p' "$case/case.json")$(
        grep -o 'width: [0-9.]*' "$case/topology.yaml" | head -1 | sed 's/^/, /'), init: $case/model.safetensors}|" \
        "$case/topology.yaml" >"$case/imported.yaml"
    initial=$("$orchard" validate "$case/imported.yaml" --evaluate | sed -n 's/^initial accuracy: \([0-9.e-]*\) .*/\1/p')
    if [[ $initial != "$recorded" ]]; then
        echo "FAIL $name: started from the export, the model evaluates to $initial; the run recorded $recorded"
        exit 1
    fi
    echo "  model.init: a run started from model.safetensors evaluates to $initial, as recorded"
done
echo "export checks passed"
