// swift-tools-version:6.1
import PackageDescription

// The suite's benchmarks, gated on allocation counts (Tools/check_benchmarks.sh, PERFORMANCE.md "Benchmark gate").
// A package of its own, so that the root package does not depend on ordo-one/benchmark.
let package = Package(
    name: "gnll-benchmarks",
    dependencies: [
        .package(name: "gnll", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "GNLLBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GaussianNLL", package: "gnll"),
                .product(name: "GaussianNLLConformance", package: "gnll"),
            ],
            path: "Benchmarks/GNLLBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
