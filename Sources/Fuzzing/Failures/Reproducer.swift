public import Conformance
internal import Foundation
public import GaussianNLL

/// A failure the fuzzer found, as a self-contained JSON file: the case, the profile it was judged under,
/// the finding, what the candidate answered and what PyTorch's semantics expect, and where the fuzzer
/// was (its seed and case number) when it found the case.
///
/// `gnll replay FILE --candidate CMD` reruns it. The case is a ``CaseRecord``, the candidate protocol's
/// request without `op` and `id`, so the file also reads as a request for a hand-run adapter.
///
/// ```json
/// {
///   "format": 1,
///   "signature": {"problem": "value:grad_var", "form": "var=same reduction=mean"},
///   "profile": "torch-2.10",
///   "findings": ["grad_var[0] = 0.0, exact 1250000.0: error 1250000.0 exceeds the bound 0.09"],
///   "call": {"input": {"dtype": "float32", "shape": [1], "data": "AAAAPw=="}, "...": "..."},
///   "...": "..."
/// }
/// ```
public struct Reproducer: Sendable, Codable, Equatable {
    /// The file format's version.
    public var format: Int
    public var signature: FailureSignature
    /// The profile the case was judged under.
    public var profile: Profile
    /// The candidate's handshake.
    public var candidate: CandidateInfo
    /// The fuzzer's seed, and which case of the run this was (seeds first, then mutants).
    public var seed: UInt64
    public var caseNumber: Int
    /// The mutations that made the case from its parent (before shrinking).
    public var mutations: [Mutation]
    /// Whether the case was shrunk after it was found.
    public var shrunk: Bool
    /// The judge's findings.
    public var findings: [String]
    /// What the candidate answered, and what PyTorch's semantics give.
    public var answer: OutcomeSummary
    public var expected: OutcomeSummary
    /// The case.
    public var call: CaseRecord

    /// The format this version writes and reads.
    public static let currentFormat = 1

    public init(
        signature: FailureSignature, profile: Profile, candidate: CandidateInfo, seed: UInt64, caseNumber: Int,
        mutations: [Mutation], shrunk: Bool, findings: [String], answer: OutcomeSummary, expected: OutcomeSummary,
        call: CaseRecord
    ) {
        format = Self.currentFormat
        self.signature = signature
        self.profile = profile
        self.candidate = candidate
        self.seed = seed
        self.caseNumber = caseNumber
        self.mutations = mutations
        self.shrunk = shrunk
        self.findings = findings
        self.answer = answer
        self.expected = expected
        self.call = call
    }

    /// The file's JSON, as results files are written (``ResultsCoding``): pretty-printed, keys sorted,
    /// non-finite numbers as strings, -0.0 as `-0.0`; with a trailing newline.
    public func encoded() throws -> [UInt8] {
        try ResultsCoding.encode(self) + Array("\n".utf8)
    }

    /// Reads a reproducer file.
    public static func read(from path: String) throws -> Reproducer {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let reproducer = try ResultsCoding.decode(Reproducer.self, from: data)
        guard reproducer.format == currentFormat else {
            throw ReproducerError(message: "\(path): reproducer format \(reproducer.format) is not supported")
        }
        return reproducer
    }

    /// Writes the file into a folder (created if missing) under the signature's file name, atomically;
    /// returns its path.
    @discardableResult
    public func write(toDirectory directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(signature.fileName)
        try Data(encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}

/// A reproducer file that cannot be used.
public struct ReproducerError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
