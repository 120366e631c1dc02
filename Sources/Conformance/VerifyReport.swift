internal import CandidateProtocol
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
    /// Why an incomplete run stopped, when it is known: the signal, or why the run could not start its checks.
    public var incompleteReason: String?
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
        Data(try ResultsCoding.encode(self))
    }

    /// Reads a results file.
    public static func read(from path: String) throws -> VerifyReport {
        try ResultsCoding.decode(VerifyReport.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes the report atomically: to a temporary file beside `path`, then renamed over it.
    public func write(to path: String) throws {
        try AtomicFile.write(try jsonData(), to: path)
    }
}

/// The JSON of results files (and of reproducers, and of the case shown in reports), through the candidate
/// protocol's strict codec: keys sorted, integers and floating-point numbers apart, non-finite numbers as the
/// strings "inf", "-inf" and "nan", -0.0 as `-0.0` (so that Python's `json` keeps its sign), and the layout
/// of Foundation's `JSONEncoder` with `.prettyPrinted`, `.sortedKeys` and `.withoutEscapingSlashes`.
package enum ResultsCoding {
    /// The value as JSON text: pretty-printed (or compact), keys sorted, no trailing newline.
    package static func encode(_ value: some Encodable, pretty: Bool = true) throws -> [UInt8] {
        try JSONValueEncoder().encode(value).fileText(pretty: pretty)
    }

    /// A value from JSON text, parsed strictly.
    ///
    /// - Throws: ``JSONError`` for text that is not JSON; `DecodingError`, whose coding path names the member,
    ///   for JSON that does not describe a `type`.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try JSONValueDecoder().decode(type, from: bytes)
    }
}
