// swift-tools-version: 6.1
import PackageDescription

// The step and kernel benchmarks, on ordo-one's package-benchmark: a package of their own so that
// the main package and its CI build do not build the benchmark driver. Run from this folder:
//
//     swift package benchmark
//
// docs/benchmarks.md says more.
let package = Package(
    name: "OrchardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Orchard", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StepBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OrchardNN", package: "Orchard"),
                .product(name: "OrchardPruning", package: "Orchard"),
                .product(name: "OrchardTensor", package: "Orchard"),
            ],
            path: "Benchmarks/StepBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OrchardTensor", package: "Orchard"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
