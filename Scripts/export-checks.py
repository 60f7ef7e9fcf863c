"""Checks Orchard's exported models against onnx, onnxruntime, safetensors and PyTorch.

Run by Scripts/test-export.sh, once per exported run:

    python3 Scripts/export-checks.py CASE_DIR

CASE_DIR holds what `orchard export` wrote for one run: model.onnx (pruned weights sparse),
model-dense.onnx (--dense), model.safetensors (--masks) and reference.safetensors (the hidden
--reference: test images, labels, Orchard's logits, per-layer outputs and gradients of one batch).
Prints one line per check with the worst deviation found and exits non-zero on the first failure.

    python3 Scripts/export-checks.py --write-idx DIR

writes a small data set in MNIST's IDX format (class patterns plus noise) into DIR, for a case
whose ONNX graph starts with the input normalisation.
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

# max |ours - theirs| / max |theirs| over a whole tensor.
LOGITS_TOLERANCE = 1e-4
ACTIVATION_TOLERANCE = 1e-4
GRADIENT_TOLERANCE = 1e-3
# A gradient is compared relative to at least this fraction of the model's largest gradient entry:
# a pruned convolution before a training-mode batch norm has, for a channel with one kept weight,
# a gradient of exactly zero in exact arithmetic (the norm undoes the weight's scale), which both
# engines compute as rounding noise of 1e-10.
GRADIENT_FLOOR = 1e-3


def relative(ours, theirs, floor=0.0):
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    scale = max(np.abs(theirs).max(initial=0.0), floor, 1e-12)
    return float(np.abs(ours - theirs).max(initial=0.0) / scale)


def check(name, value, tolerance, worst):
    worst[name] = max(worst.get(name, 0.0), value)
    if not value <= tolerance:
        sys.exit(f"FAIL {name}: relative deviation {value:.3g} above {tolerance:g}")


class LeNet5(nn.Module):
    def __init__(self, state):
        super().__init__()
        self.conv1 = nn.Conv2d(state["conv1.weight"].shape[1], 6, 5, padding=2)
        self.relu1, self.pool1 = nn.ReLU(), nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.relu2, self.pool2 = nn.ReLU(), nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(*reversed(state["fc1.weight"].shape))
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(120, 84)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(*reversed(state["fc3.weight"].shape))

    def forward(self, x):
        for name in ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2",
                     "relu4", "fc3"]:
            x = getattr(self, name)(x)
        return x


class VGG11(nn.Module):
    PLAN = [1, "M", 1, "M", 1, 1, "M", 1, 1, "M", 1, 1, "M"]

    def __init__(self, state):
        super().__init__()
        layers, index = [], 0
        for entry in self.PLAN:
            if entry == "M":
                layers.append(nn.MaxPool2d(2))
                index += 1
                continue
            weight = state[f"features.{index}.weight"]
            layers += [nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1), nn.BatchNorm2d(weight.shape[0]),
                       nn.ReLU()]
            index += 3
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        shapes = [state[f"classifier.{i}.weight"].shape for i in (0, 2, 4)]
        self.classifier = nn.Sequential(nn.Linear(shapes[0][1], shapes[0][0]), nn.ReLU(),
                                        nn.Linear(shapes[1][1], shapes[1][0]), nn.ReLU(),
                                        nn.Linear(shapes[2][1], shapes[2][0]))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


class BasicBlock(nn.Module):
    def __init__(self, state, prefix, stride):
        super().__init__()
        weight = state[prefix + "conv1.weight"]
        inputs, outputs = weight.shape[1], weight.shape[0]
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = None
        if prefix + "downsample.0.weight" in state:
            self.downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        main = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return F.relu(main + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, state):
        super().__init__()
        stem = state["conv1.weight"]
        self.conv1 = nn.Conv2d(stem.shape[1], stem.shape[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem.shape[0])
        self.relu = nn.ReLU()
        self.stages = []
        stage = 1
        while f"layer{stage}.0.conv1.weight" in state:
            blocks, block = [], 0
            while f"layer{stage}.{block}.conv1.weight" in state:
                stride = 2 if stage > 1 and block == 0 else 1
                blocks.append(BasicBlock(state, f"layer{stage}.{block}.", stride))
                block += 1
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
            self.stages.append(f"layer{stage}")
            stage += 1
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(*reversed(state["fc.weight"].shape))

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for name in self.stages:
            x = getattr(self, name)(x)
        return self.fc(self.flatten(self.avgpool(x)))


def build(model, state):
    if model == "lenet5":
        return LeNet5(state)
    if model == "vgg11":
        return VGG11(state)
    if model.startswith("resnet"):
        return ResNet(state)
    sys.exit(f"no PyTorch module for {model}")


def inputs(reference, count=None):
    """The ONNX input of the test samples: images as byte / 255, or the generated sets' features."""
    if "images" in reference.keys():
        return reference.get_tensor("images")[:count].astype(np.float32) / 255
    return reference.get_tensor("features")[:count]


def check_onnx(case, reference, metadata, worst):
    images = inputs(reference)
    labels = reference.get_tensor("labels")
    logits = reference.get_tensor("logits")
    for file in ["model.onnx", "model-dense.onnx"]:
        model = onnx.load(str(case / file))
        # Full checking runs shape inference, which types a sparse initializer as sparse_tensor, not
        # tensor, so that no operator accepts it; the sparse files get the structural check.
        onnx.checker.check_model(model, full_check=file == "model-dense.onnx")
        props = {entry.key: entry.value for entry in model.metadata_props}
        for key in ["topology_sha256", "method", "density", "round", "accuracy", "orchard_version"]:
            if key not in props:
                sys.exit(f"FAIL {file}: metadata_props lacks {key}")
        session = onnxruntime.InferenceSession(str(case / file), providers=["CPUExecutionProvider"])
        theirs = session.run(["logits"], {"input": images})[0]
        check("onnxruntime logits", relative(logits, theirs), LOGITS_TOLERANCE, worst)
        correct = int((theirs.argmax(1) == labels).sum())
        recorded = round(float(metadata["accuracy"]) * len(labels))
        if correct != recorded:
            sys.exit(f"FAIL {file}: onnxruntime gets {correct}/{len(labels)} right, Orchard recorded {recorded}")
    print(f"  onnx.checker accepts both files; onnxruntime: {correct}/{len(labels)} right, as recorded")


def check_torch(case, reference, metadata, worst):
    state = load_file(str(case / "model.safetensors"))
    masks = {name[: -len(".mask")]: tensor for name, tensor in state.items() if name.endswith(".mask")}
    weights = {name: tensor for name, tensor in state.items() if not name.endswith(".mask")}
    module = build(metadata["model"], weights)
    missing, unexpected = module.load_state_dict(weights, strict=False)
    if unexpected or any(not name.endswith("num_batches_tracked") for name in missing):
        sys.exit(f"FAIL load_state_dict: missing {missing}, unexpected {unexpected}")
    # The oracle computes in double precision, so that the deviations are Orchard's float32 error.
    module.double()
    batch = int(reference.metadata()["batch"])
    x = torch.from_numpy(inputs(reference, batch)).double()
    labels = torch.from_numpy(reference.get_tensor("labels")[:batch])
    names = set(reference.keys())
    if "mean" in metadata:
        mean = torch.tensor(json.loads(metadata["mean"]), dtype=torch.float32).double().view(1, -1, 1, 1)
        std = torch.tensor(json.loads(metadata["std"]), dtype=torch.float32).double().view(1, -1, 1, 1)
        x = (x - mean) / std
    module.eval()
    outputs, order = {}, []
    modules = dict(module.named_modules())

    def hook(name):
        def record(_, __, output):
            outputs[name] = output.detach()
            order.append(name)
        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in modules.items() if "activation." + n in names]
    with torch.no_grad():
        module(x)
    for handle in handles:
        handle.remove()
    compared = 0
    for position, name in enumerate(order):
        theirs = outputs[name]
        # Orchard's batch norm rectifies in place of the ReLU that follows it.
        if isinstance(modules[name], nn.BatchNorm2d) and position + 1 < len(order) and \
                isinstance(modules[order[position + 1]], nn.ReLU):
            theirs = F.relu(theirs)
        check("layer outputs", relative(reference.get_tensor("activation." + name), theirs.numpy()),
              ACTIVATION_TOLERANCE, worst)
        compared += 1
    module.train()
    logits = module(x)
    check("training logits", relative(reference.get_tensor("train.logits"), logits.detach().numpy()),
          ACTIVATION_TOLERANCE, worst)
    F.cross_entropy(logits, labels).backward()
    theirs = {name: parameter.grad.numpy() * (masks[name].numpy() if name in masks else 1)
              for name, parameter in module.named_parameters()}
    floor = GRADIENT_FLOOR * max(np.abs(gradient).max() for gradient in theirs.values())
    for name, gradient in theirs.items():
        check("gradients", relative(reference.get_tensor("grad." + name), gradient, floor), GRADIENT_TOLERANCE,
              worst)
    gradients = len(theirs)
    print(f"  PyTorch: load_state_dict, {compared} layer outputs and {gradients} gradients agree")


def write_idx(folder, train=300, test=150, seed=7):
    """MNIST's four IDX files with `train` and `test` 28x28 images of ten noisy class patterns."""
    random = np.random.default_rng(seed)
    patterns = random.integers(0, 256, size=(10, 28, 28))
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in [("train", train), ("t10k", test)]:
        labels = random.integers(0, 10, size=count).astype(np.uint8)
        noise = random.integers(-90, 90, size=(count, 28, 28))
        images = np.clip(patterns[labels] + noise, 0, 255).astype(np.uint8)
        header = np.array([0x803, count, 28, 28], dtype=">u4").tobytes()
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.tobytes())
        header = np.array([0x801, count], dtype=">u4").tobytes()
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(header + labels.tobytes())


def main():
    if sys.argv[1] == "--write-idx":
        write_idx(Path(sys.argv[2]))
        return
    case = Path(sys.argv[1])
    metadata = json.loads((case / "case.json").read_text())
    with safe_open(str(case / "model.safetensors"), framework="np") as exported:
        metadata.update(exported.metadata())
    worst = {}
    with safe_open(str(case / "reference.safetensors"), framework="np") as reference:
        metadata.update(reference.metadata())
        check_onnx(case, reference, metadata, worst)
        check_torch(case, reference, metadata, worst)
    print("  worst relative deviations: " + ", ".join(f"{name} {value:.2e}" for name, value in worst.items()))


if __name__ == "__main__":
    main()
