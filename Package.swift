// swift-tools-version:6.0
import PackageDescription

let argumentParser: Target.Dependency = .product(
    name: "ArgumentParser", package: "swift-argument-parser")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

// The numeric kernels are written for the compiler to vectorise; AVX2 and FMA (every x86 server
// CPU since 2015, "haswell" to LLVM) let it use 256-bit lanes instead of SSE2's 128.
let vectorised: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))]

let package = Package(
    name: "Orchard",
    products: [
        .executable(name: "orchard", targets: ["orchard"]),
        .library(name: "OrchardNN", targets: ["OrchardNN"]),
        .library(name: "OrchardData", targets: ["OrchardData"]),
        // For the Benchmarks package.
        .library(name: "OrchardTensor", targets: ["OrchardTensor"]),
        .library(name: "OrchardPruning", targets: ["OrchardPruning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // C libraries. libzmq gets no pkgConfig: its .pc file drags in -isystem flags that
        // SwiftPM rejects; OpenBLAS keeps it so that Debian's openblas-pthread cblas.h wins.
        .systemLibrary(
            name: "COrchardBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "COrchardZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COrchardZlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "OrchardFormat"),
        .target(name: "OrchardTensor", dependencies: ["COrchardBLAS"], swiftSettings: vectorised),
        .target(name: "OrchardData", dependencies: ["OrchardTensor", "COrchardZlib"], swiftSettings: vectorised),
        .target(name: "OrchardNN", dependencies: ["OrchardTensor", "OrchardData"], swiftSettings: vectorised),
        .target(name: "OrchardPayload", dependencies: ["OrchardTensor"]),
        .target(
            name: "OrchardWire",
            dependencies: [
                "COrchardZMQ", "OrchardTensor", "OrchardPayload",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            // F16C (part of haswell) converts binary16 in hardware: Float16 without it is a
            // library call per value, slower than the bit arithmetic it replaced.
            swiftSettings: vectorised),
        .target(
            name: "OrchardExport",
            dependencies: ["OrchardNN", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(
            name: "OrchardTopology",
            dependencies: [
                "OrchardData", "OrchardNN", "OrchardFormat", "OrchardFederation",
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "OrchardPruning",
            dependencies: [
                "OrchardNN", "OrchardTensor", "OrchardData", .product(name: "HeapModule", package: "swift-collections"),
            ]),
        .target(
            name: "OrchardFederation",
            dependencies: ["OrchardNN", "OrchardData", "OrchardTensor", "OrchardPayload", "OrchardPruning"]),
        .target(
            name: "OrchardRuntime",
            dependencies: [
                "OrchardWire", "OrchardPayload", "OrchardFederation", "OrchardTopology", "OrchardStore", "OrchardData",
                "OrchardNN", "OrchardPruning", "OrchardTensor", "OrchardExport", logging,
            ]),
        .target(name: "OrchardStore", dependencies: ["OrchardTensor", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "OrchardReport", dependencies: ["OrchardStore", "OrchardFormat"]),
        .executableTarget(
            name: "orchard",
            dependencies: [
                "OrchardTensor", "OrchardNN", "OrchardData", "OrchardTopology", "OrchardStore", "OrchardReport",
                "OrchardRuntime", "OrchardPruning", "OrchardFormat", "OrchardWire", "OrchardFederation",
                "OrchardExport", argumentParser, logging,
            ]),

        .target(
            name: "OrchardTestSupport", dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            path: "Tests/OrchardTestSupport"),
        .target(
            name: "OrchardStoreTestSupport",
            dependencies: ["OrchardStore", "OrchardTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/OrchardStoreTestSupport"),
        .testTarget(name: "OrchardTestSupportTests", dependencies: ["OrchardTestSupport"]),
        .testTarget(name: "OrchardFormatTests", dependencies: ["OrchardFormat"]),
        .testTarget(
            name: "OrchardExportTests",
            dependencies: ["OrchardExport", "OrchardNN", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "OrchardTensorTests", dependencies: ["OrchardTensor", "OrchardTestSupport"]),
        .testTarget(
            name: "OrchardNNTests", dependencies: ["OrchardNN", "OrchardTensor", "OrchardData", "OrchardTestSupport"]),
        .testTarget(name: "OrchardDataTests", dependencies: ["OrchardData", "OrchardTensor", "OrchardTestSupport"]),
        .testTarget(name: "OrchardPayloadTests", dependencies: ["OrchardPayload", "OrchardTensor"]),
        .testTarget(
            name: "OrchardWireTests",
            dependencies: ["OrchardWire", "OrchardPayload", "OrchardTensor", "OrchardTestSupport"]
        ),
        .testTarget(
            name: "OrchardTopologyTests",
            dependencies: [
                "OrchardTopology", "OrchardFederation", "OrchardFormat", "OrchardData", "OrchardTestSupport",
            ]),
        .testTarget(
            name: "OrchardPruningTests",
            dependencies: ["OrchardPruning", "OrchardNN", "OrchardTensor", "OrchardData", "OrchardTestSupport"]),
        .testTarget(
            name: "OrchardFederationTests",
            dependencies: [
                "OrchardFederation", "OrchardNN", "OrchardData", "OrchardPayload", "OrchardPruning", "OrchardTensor",
            ]),
        .testTarget(
            name: "OrchardRuntimeTests",
            dependencies: [
                "OrchardRuntime", "OrchardWire", "OrchardPayload", "OrchardFederation", "OrchardStore", "OrchardNN",
                "OrchardTopology", "OrchardData", "OrchardTensor", "OrchardTestSupport", logging,
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]),
        .testTarget(
            name: "OrchardStoreTests",
            dependencies: [
                "OrchardStore", "OrchardStoreTestSupport", "OrchardTestSupport", "OrchardReport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "OrchardReportTests",
            dependencies: ["OrchardReport", "OrchardStore", "OrchardStoreTestSupport", "OrchardTestSupport"]),
        .testTarget(
            name: "orchardTests",
            dependencies: ["orchard", "OrchardStore", "OrchardTestSupport", "COrchardZlib", "OrchardExport"]),
    ]
)

// `ORCHARD_KERNELS_ONLY=1` narrows the package to the numeric modules and their tests, for the
// release and AddressSanitizer runs of `Scripts/test.sh`: those builds then skip the wire, store and
// command-line modules and the packages only they need.
if Context.environment["ORCHARD_KERNELS_ONLY"] == "1" {
    let kernels: Set = [
        "COrchardBLAS", "COrchardZlib", "OrchardTensor", "OrchardData", "OrchardNN", "OrchardPruning",
        "OrchardTestSupport", "OrchardTestSupportTests", "OrchardTensorTests", "OrchardNNTests", "OrchardPruningTests",
    ]
    package.targets.removeAll { !kernels.contains($0.name) }
    package.products.removeAll { product in product.name == "orchard" }
    package.dependencies.removeAll { dependency in
        guard case .sourceControl(_, let location, _) = dependency.kind else { return false }
        return !location.hasSuffix("/swift-numerics") && !location.hasSuffix("/swift-collections")
    }
}
