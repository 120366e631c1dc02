// swift-tools-version:6.1
import PackageDescription

// GNLL_PORTABLE_ORACLE=1 builds the oracle on ExtendedReal (the type of platforms without Float80) on x86-64 too,
// so that CI tests it: Tools/check_portable_oracle.sh builds it in its own scratch path.
let strictSettings: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ] + (Context.environment["GNLL_PORTABLE_ORACLE"] == "1" ? [.define("GNLL_PORTABLE_ORACLE")] : [])

let package = Package(
    name: "gnll",
    products: [
        .library(name: "GaussianNLL", targets: ["GaussianNLL"]),
        .library(
            name: "GaussianNLLConformance",
            targets: [
                "Conformance", "Judge", "GoldenFiles", "GoldenReplay", "PropertyTesting", "Verification", "Reporting",
            ]),
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
        // The verify engine: a check, the answer-and-judge session, check results, the run's results. No HDF5.
        .target(
            name: "Conformance", dependencies: ["GaussianNLL", "Judge", "CandidateProtocol"],
            swiftSettings: strictSettings),
        // A source of checks: golden files replayed against a candidate, golden diff and margins. The only
        // module of the engine that reads HDF5.
        .target(
            name: "GoldenReplay", dependencies: ["GaussianNLL", "Judge", "Conformance", "GoldenFiles"],
            swiftSettings: strictSettings),
        // A source of checks: the randomized property tester (generators, properties, shrinking, regressions).
        .target(
            name: "PropertyTesting", dependencies: ["GaussianNLL", "Judge", "Conformance"],
            swiftSettings: strictSettings),
        // The run: assembles the checks of every source, selects and shards them, runs them, gates the results
        // on expected failures into a verdict and an exit code, and merges shards.
        .target(
            name: "Verification", dependencies: ["GaussianNLL", "Conformance", "PropertyTesting"],
            swiftSettings: strictSettings),
        // Renderers of results and verdicts: JSON, JUnit XML, Markdown, HTML.
        .target(
            name: "Reporting", dependencies: ["GaussianNLL", "Conformance", "Verification"],
            swiftSettings: strictSettings),
        // The differential fuzzer behind `gnll fuzz`, and its reproducer files.
        .target(name: "Fuzzing", dependencies: ["GaussianNLL", "Judge", "Conformance"], swiftSettings: strictSettings),
        // Plausible wrong implementations of the loss, for mutation analysis.
        .target(name: "Mutants", dependencies: ["GaussianNLL"], swiftSettings: strictSettings),
        .executableTarget(
            name: "gnll",
            dependencies: [
                "GaussianNLL", "GoldenFiles", "Judge", "CandidateProtocol", "CandidateProcess", "Conformance",
                "GoldenReplay", "PropertyTesting", "Verification", "Mutants", "Reporting", "Fuzzing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings, plugins: ["VersionFile"]),
        // `gnll --version`: generated from the Python package's `__version__`, the one place the version is set.
        .plugin(name: "VersionFile", capability: .buildTool()),
        // Helpers and candidate doubles that several test targets share.
        .target(
            name: "GNLLTestSupport", dependencies: ["GaussianNLL", "Conformance", "GoldenFiles", "GoldenReplay"],
            path: "Tests/GNLLTestSupport",
            swiftSettings: strictSettings),
        .testTarget(
            name: "GaussianNLLTests", dependencies: ["GaussianNLL", "GNLLTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "HDF5Tests", dependencies: ["HDF5", "GaussianNLL"], resources: [.copy("Fixtures")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CandidateProtocolTests", dependencies: ["CandidateProtocol", "GaussianNLL", "GNLLTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CandidateProcessTests",
            dependencies: ["CandidateProcess", "CandidateProtocol", "GaussianNLL", "GNLLTestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(
            name: "PropertyTestingTests",
            dependencies: ["PropertyTesting", "Conformance", "Judge", "GaussianNLL", "GNLLTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "MutantsTests",
            dependencies: ["Mutants", "Verification", "Conformance", "GoldenReplay", "GoldenFiles", "GaussianNLL"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "ReportingTests",
            dependencies: [
                "Reporting", "Verification", "Conformance", "GoldenReplay", "GoldenFiles", "GaussianNLL",
                "GNLLTestSupport",
            ],
            resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(
            name: "FuzzingTests",
            dependencies: ["Fuzzing", "Conformance", "Judge", "GaussianNLL", "GNLLTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "CLITests", dependencies: ["gnll", "GNLLTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "VerificationTests",
            dependencies: ["Verification", "GoldenReplay", "Conformance", "GaussianNLL", "GNLLTestSupport", "Mutants"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "ConformanceTests", dependencies: ["Conformance", "Judge", "GaussianNLL", "GNLLTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "JudgeTests", dependencies: ["Judge", "GaussianNLL", "GNLLTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "GoldenFilesTests",
            dependencies: ["GoldenFiles", "GoldenReplay", "Conformance", "Judge", "GaussianNLL"],
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
