// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "gnll",
    products: [
        .library(name: "GaussianNLL", targets: ["GaussianNLL"]),
        .library(name: "GaussianNLLConformance", targets: ["Conformance", "Judge", "GoldenFiles"]),
        .executable(name: "gnll", targets: ["gnll"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // The reference semantics, the oracle and the value types every other stage shares.
        .target(name: "GaussianNLL", swiftSettings: strictSettings),
        // libhdf5 from Debian's libhdf5-dev, through a C shim.
        .systemLibrary(
            name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // A thin, safe reader over libhdf5; knows nothing of the loss.
        .target(name: "HDF5", dependencies: ["CHDF5"], swiftSettings: strictSettings),
        // Golden files: HDF5 to cases and expected outcomes.
        .target(name: "GoldenFiles", dependencies: ["GaussianNLL", "HDF5"], swiftSettings: strictSettings),
        // The tolerance model.
        .target(name: "Judge", dependencies: ["GaussianNLL"], swiftSettings: strictSettings),
        // The candidate protocol's messages: JSON and base64, no processes.
        .target(name: "CandidateProtocol", dependencies: ["GaussianNLL"], swiftSettings: strictSettings),
        // Candidates in other processes, spoken to through the protocol.
        .target(
            name: "CandidateProcess", dependencies: ["GaussianNLL", "CandidateProtocol"], swiftSettings: strictSettings),
        // The verify engine: checks, golden replay, results.
        .target(
            name: "Conformance", dependencies: ["GaussianNLL", "Judge", "GoldenFiles"], swiftSettings: strictSettings),
        // The randomized property tester: generators, properties, shrinking, the regression file.
        .target(
            name: "PropertyTesting", dependencies: ["GaussianNLL", "Judge", "Conformance"],
            swiftSettings: strictSettings),
        // Reports (JSON, JUnit XML, Markdown, HTML), expected-failure lists, shards and merging.
        .target(name: "Reporting", dependencies: ["Conformance", "GaussianNLL"], swiftSettings: strictSettings),
        // The differential fuzzer behind `gnll fuzz`, and its reproducer files.
        .target(name: "Fuzzing", dependencies: ["GaussianNLL", "Judge", "Conformance"], swiftSettings: strictSettings),
        // Plausible wrong implementations of the loss, for mutation analysis.
        .target(name: "Mutants", dependencies: ["GaussianNLL"], swiftSettings: strictSettings),
        .executableTarget(
            name: "gnll",
            dependencies: [
                "GaussianNLL", "GoldenFiles", "Judge", "CandidateProtocol", "CandidateProcess", "Conformance",
                "PropertyTesting", "Mutants", "Reporting", "Fuzzing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),
        .testTarget(name: "GaussianNLLTests", dependencies: ["GaussianNLL"], swiftSettings: strictSettings),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "GaussianNLL"], resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(
            name: "CandidateProtocolTests", dependencies: ["CandidateProtocol", "GaussianNLL"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CandidateProcessTests", dependencies: ["CandidateProcess", "CandidateProtocol", "GaussianNLL"],
            resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(
            name: "PropertyTestingTests", dependencies: ["PropertyTesting", "Conformance", "Judge", "GaussianNLL"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "MutantsTests",
            dependencies: ["Mutants", "PropertyTesting", "Conformance", "GoldenFiles", "Judge", "GaussianNLL"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "ReportingTests", dependencies: ["Reporting", "Conformance", "GoldenFiles", "GaussianNLL"],
            resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(
            name: "FuzzingTests", dependencies: ["Fuzzing", "Conformance", "Judge", "GaussianNLL"],
            swiftSettings: strictSettings),
        .testTarget(name: "CLITests", dependencies: ["gnll"], swiftSettings: strictSettings),
        .testTarget(name: "JudgeTests", dependencies: ["Judge", "GaussianNLL"], swiftSettings: strictSettings),
        .testTarget(
            name: "GoldenFilesTests", dependencies: ["GoldenFiles", "Conformance", "Judge", "GaussianNLL"],
            resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    ]
)

// libFuzzer targets (Fuzz/README.md): executables without a main, built only when GNLL_FUZZ=1, with
//   Tools/fuzz build   (passes -Xswiftc -sanitize=fuzzer,address: two --sanitize flags keep only the last)
if Context.environment["GNLL_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzGoldenReader", ["GoldenFiles", "GaussianNLL"]),
        ("FuzzResponseDecoder", ["CandidateProtocol", "GaussianNLL"]),
        ("FuzzShapes", ["GaussianNLL"]),
        ("FuzzJudge", ["Judge", "GaussianNLL"]),
        ("FuzzReference", ["Judge", "GaussianNLL"]),
    ]
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies, path: "Fuzz/Targets/\(target.name)",
                swiftSettings: strictSettings))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
