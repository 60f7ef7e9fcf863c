#!/usr/bin/env bash
# The one test command (.ci/run calls it): installs what is missing, checks formatting and imports,
# builds with warnings as errors, runs every test, checks exported models against onnxruntime and
# PyTorch (Scripts/test-export.sh), runs the numeric kernels' tests again in release mode and under
# AddressSanitizer, and checks the docs. Each step prints its name and time.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()

# Runs the command after the step's name, printing the name and the seconds it took.
step() {
    local name=$1
    shift
    echo "==> $name"
    local started=$SECONDS
    if ! "$@"; then
        echo "FAILED: $name (after $((SECONDS - started)) s)"
        exit 1
    fi
    timings+=("$(printf '%5d s  %s' $((SECONDS - started)) "$name")")
    echo "<== $name: $((SECONDS - started)) s"
}

# The release and AddressSanitizer builds narrow the package to the numeric modules and their tests
# (ORCHARD_KERNELS_ONLY, see Package.swift), each in its own scratch folder.
kernels() { ORCHARD_KERNELS_ONLY=1 "$@"; }

step "install dependencies" Scripts/install-deps.sh --chromium
step "format" Scripts/format.sh --check
step "imports" Scripts/check-imports.sh
step "debug build, warnings as errors" swift build --build-tests -Xswiftc -warnings-as-errors
step "debug tests" swift test --skip-build
step "export checks against onnx, onnxruntime and PyTorch" Scripts/test-export.sh
# Release tests need -enable-testing for their @testable imports.
step "release build of the kernels" kernels swift build -c release --build-tests --scratch-path .build-release \
    -Xswiftc -enable-testing -Xswiftc -warnings-as-errors
step "release tests of the kernels" kernels swift test -c release --skip-build --scratch-path .build-release
step "AddressSanitizer build of the kernels" kernels swift build --build-tests --sanitize=address \
    --scratch-path .build-asan
# Under AddressSanitizer: the tensor kernels and the layer suites on small shapes, not the suites
# that train or size whole networks (ModelZoo, TrainingFootprint, Training), which take minutes there.
layers="LayerForwardTests|LayerGradientTests|DirectConvolutionTests|WinogradTests|ValidUnfoldTests"
layers+="|FusedNormalisationTests|RectifiedPoolingTests|SparseTrainingTests|ComparisonHelperTests"
step "AddressSanitizer tests of the kernels" kernels env LSAN_OPTIONS="suppressions=$PWD/Scripts/lsan-suppressions.txt" \
    swift test --skip-build --sanitize=address --scratch-path .build-asan \
    --filter "OrchardTestSupportTests|OrchardTensorTests|OrchardNNTests\.($layers)"
# Real shaped links and a one-node Slurm cluster, as root; each skips with a message where it cannot run.
step "network namespaces (Scripts/netns-run.sh)" Scripts/test-netns.sh
if [ "$(id -u)" -eq 0 ]; then
    step "Slurm (Scripts/test-slurm.sh)" Scripts/test-slurm.sh
else
    echo "==> Slurm: skipped: Scripts/test-slurm.sh needs root"
fi
if [ -x Scripts/check-docs.sh ]; then
    step "docs" Scripts/check-docs.sh
fi

echo "==> all steps passed"
printf '%s\n' "${timings[@]}"
