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

    /// The report as pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        try ResultsCoding.encoder().encode(self)
    }

    /// Reads a results file.
    public static func read(from path: String) throws -> VerifyReport {
        try ResultsCoding.decoder().decode(VerifyReport.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes the report atomically: to a temporary file beside `path`, then renamed over it.
    public func write(to path: String) throws {
        try AtomicFile.write(try jsonData(), to: path)
    }
}

/// The JSON settings of results files: sorted keys, and non-finite numbers as "inf", "-inf" and "nan".
package enum ResultsCoding {
    package static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
