public import Foundation
public import GaussianNLL

/// The results of `gnll verify`: the candidate's handshake, what ran, and the outcome of every check.
public struct VerifyReport: Sendable, Codable, Equatable {
    /// The version of this results schema (`Schemas/results.schema.json`).
    public static let currentSchemaVersion = 1

    public var schemaVersion = VerifyReport.currentSchemaVersion
    public var candidate: CandidateInfo
    /// The profile the candidate was judged under (its own, or `--profile`).
    public var profile: Profile
    public var seed: UInt64
    public var budget: String
    /// Whether the run was interrupted before every check ran.
    public var incomplete: Bool
    public var summary: Summary
    public var checks: [CheckResult]

    /// Counts of checks by status.
    public struct Summary: Sendable, Codable, Equatable {
        public var passed = 0
        public var failed = 0
        public var skipped = 0
        public var errors = 0
    }

    public init(candidate: CandidateInfo, profile: Profile, seed: UInt64, budget: String, checks: [CheckResult] = []) {
        self.candidate = candidate
        self.profile = profile
        self.seed = seed
        self.budget = budget
        incomplete = false
        summary = Summary()
        self.checks = []
        checks.forEach { append($0) }
    }

    /// Adds a check's result and counts it.
    public mutating func append(_ result: CheckResult) {
        checks.append(result)
        switch result.status {
        case .passed: summary.passed += 1
        case .failed: summary.failed += 1
        case .skipped: summary.skipped += 1
        case .error: summary.errors += 1
        }
    }

    /// Conformant: no check failed and none ended in an error.
    public var isConformant: Bool { summary.failed == 0 && summary.errors == 0 && !incomplete }

    /// The report as pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Reads a results file.
    public static func read(from path: String) throws -> VerifyReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(VerifyReport.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes the report atomically: to a temporary file beside `path`, then renamed over it.
    public func write(to path: String) throws {
        try AtomicFile.write(try jsonData(), to: path)
    }
}

/// Writing files so that a reader never sees a partial one.
public enum AtomicFile {
    /// Writes data to a temporary file in the same folder, flushes it, and renames it over `path`.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, "errno": code])
        }
    }
}

/// Runs checks against a candidate and collects a report.
public struct Verifier: Sendable {
    public var checks: [any ConformanceCheck]

    public init(checks: [any ConformanceCheck]) {
        self.checks = checks
    }

    /// Runs every check in order; `progress` sees each result as it lands, and `shouldStop` is asked
    /// between checks (an interrupted run is marked incomplete).
    public func run(
        in context: CheckContext, budget: String, progress: (VerifyReport) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) -> VerifyReport {
        var report = VerifyReport(
            candidate: context.candidate.info, profile: context.profile, seed: context.seed, budget: budget)
        for check in checks {
            if shouldStop() {
                report.incomplete = true
                break
            }
            report.append(check.run(in: context))
            progress(report)
        }
        return report
    }
}
