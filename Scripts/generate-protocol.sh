#!/usr/bin/env bash
# Regenerates Sources/OrchardWire/Generated/orchard.pb.swift from Protos/orchard.proto and
# Sources/OrchardExport/Generated/onnx.pb.swift from Protos/onnx.proto (the part of ONNX's schema
# that `orchard export` writes).
#
# Run by hand after editing the .proto, then commit both files. CI never runs this: the generated
# Swift is committed so that a build needs neither protoc nor the plugin.
#
# Needs protoc (Debian: apt-get install protobuf-compiler) and protoc-gen-swift at the version of
# SwiftProtobuf that Package.swift resolves (1.39.0). Without PROTOC_GEN_SWIFT set, the plugin is
# built once in release mode under $PROTOGEN_DIR (about 2-10 minutes on 2 cores) and reused after.
#
#   Scripts/generate-protocol.sh
#   PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift Scripts/generate-protocol.sh
set -euo pipefail
cd "$(dirname "$0")/.."

swift_protobuf_version=1.39.0
protogen_dir=${PROTOGEN_DIR:-/tmp/protogen}
# The mirror is what the package resolves from on this project's machines; fall back to GitHub.
swift_protobuf_source=${SWIFT_PROTOBUF_SOURCE:-/opt/swift-packages/apple/swift-protobuf.git}
[[ -d $swift_protobuf_source ]] || swift_protobuf_source=https://github.com/apple/swift-protobuf.git

command -v protoc >/dev/null || {
    echo "protoc not found; install it (apt-get install protobuf-compiler)" >&2
    exit 1
}

plugin=${PROTOC_GEN_SWIFT:-$protogen_dir/.build/release/protoc-gen-swift}
if [[ ! -x $plugin ]]; then
    if [[ ! -d $protogen_dir ]]; then
        git clone --quiet --branch "$swift_protobuf_version" --depth 1 \
            "$swift_protobuf_source" "$protogen_dir"
    fi
    (cd "$protogen_dir" && swift build -c release --product protoc-gen-swift)
fi

found_version=$("$plugin" --version | awk '{print $2}')
if [[ $found_version != "$swift_protobuf_version" ]]; then
    echo "protoc-gen-swift is $found_version, expected $swift_protobuf_version" >&2
    exit 1
fi

output=Sources/OrchardWire/Generated
mkdir -p "$output"
# Internal visibility: the rest of Orchard sees OrchardWire's Swift types, never the generated ones.
protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path=Protos \
    --swift_out="$output" \
    --swift_opt=Visibility=Internal \
    Protos/orchard.proto
echo "wrote $output/orchard.pb.swift with $(protoc --version) and protoc-gen-swift $found_version"

output=Sources/OrchardExport/Generated
mkdir -p "$output"
protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path=Protos \
    --swift_out="$output" \
    --swift_opt=Visibility=Internal \
    Protos/onnx.proto
echo "wrote $output/onnx.pb.swift"
