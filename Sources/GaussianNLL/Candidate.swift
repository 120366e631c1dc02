/// An implementation of the loss under test: anything that maps calls to outcomes.
///
/// The suite judges every candidate the same way, whether it runs in this process (a Swift type that
/// conforms, such as ``ReferenceCandidate``) or behind the candidate protocol in another process.
///
/// ```swift
/// struct MyLoss: Candidate {
///     let info = CandidateInfo(name: "my-loss", version: "1.0")
///     func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
///         calls.map { .outcome(myGaussianNLL($0)) }
///     }
/// }
/// ```
public protocol Candidate {
    /// What the candidate says about itself in its handshake.
    var info: CandidateInfo { get }

    /// Evaluates calls in order; returns exactly one answer per call, in the same order.
    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer]

    /// Ends the candidate politely and releases what it holds (a process, for example); later calls to
    /// ``evaluate(_:)`` answer every call with a fault. The default does nothing.
    func close()

    /// Ends the candidate at once. Safe to call from any thread at any moment (a signal handler calls it while a
    /// run is in flight). The default does nothing.
    func kill()
}

extension Candidate {
    public func close() {}
    public func kill() {}
}

/// The optional abilities a candidate can declare.
public enum CandidateFeature: String, Sendable, Hashable, CaseIterable, Codable {
    /// Gradients with respect to input, target and var.
    case grad
    /// A Python-float var (`{"scalar": x}`).
    case scalarVar = "scalar_var"
    /// Operands of different dtypes.
    case mixedDtype = "mixed_dtype"
    /// Hessian-vector products of the gradients along tangents (protocol 2).
    case hvp
    /// Forward-mode directional derivatives of the loss along tangents (protocol 2).
    case jvp
}

/// A candidate's handshake: who it is, which profile it follows, and what it supports.
public struct CandidateInfo: Sendable, Equatable, Codable {
    public var name: String
    public var version: String
    public var profile: Profile
    public var dtypes: [DType]
    public var features: [CandidateFeature]
    /// The candidate protocol version it speaks: 1 or 2 (an in-process candidate: 2, every call).
    public var protocolVersion: Int

    /// The newest protocol version, which the suite offers beside 1.
    public static let latestProtocolVersion = 2

    /// The protocol's defaults: profile torch-2.10, dtypes float32 and float64, feature grad, protocol 2.
    public init(
        name: String, version: String, profile: Profile = .current, dtypes: [DType] = [.float32, .float64],
        features: [CandidateFeature] = [.grad], protocolVersion: Int = latestProtocolVersion
    ) {
        self.name = name
        self.version = version
        self.profile = profile
        self.dtypes = dtypes
        self.features = features
        self.protocolVersion = protocolVersion
    }

    private enum CodingKeys: String, CodingKey {
        case name, version, profile, dtypes, features
        case protocolVersion = "protocol"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        version = try container.decode(String.self, forKey: .version)
        profile = try container.decode(Profile.self, forKey: .profile)
        dtypes = try container.decode([DType].self, forKey: .dtypes)
        features = try container.decode([CandidateFeature].self, forKey: .features)
        // Results written before protocol 2 have no protocol field: their candidates spoke protocol 1.
        protocolVersion = try container.decodeIfPresent(Int.self, forKey: .protocolVersion) ?? 1
    }

    /// Why a call needs something the candidate did not declare, or `nil` when it can take the call.
    public func unsupportedReason(for call: LossCase) -> String? {
        if call.protocolVersionNeeded > protocolVersion, let reason = call.protocol2Reason {
            return "needs protocol 2 (\(reason))"
        }
        var types = [call.input.dtype, call.target.dtype]
        if let variance = call.variance.tensor { types.append(variance.dtype) }
        if let missing = types.first(where: { !dtypes.contains($0) }) { return "dtype \(missing) is not supported" }
        if call.wantsGradients && !features.contains(.grad) { return "gradients are not supported" }
        if call.variance.tensor == nil && !features.contains(.scalarVar) { return "a scalar var is not supported" }
        if Set(types).count > 1 && !features.contains(.mixedDtype) { return "mixed dtypes are not supported" }
        if let request = call.higherOrder {
            if request.hvp && !features.contains(.hvp) { return "hvp is not supported" }
            if request.jvp && !features.contains(.jvp) { return "jvp is not supported" }
        }
        return nil
    }
}

/// What a candidate answered for one call: an outcome, or a fault of the candidate itself.
public enum CandidateAnswer: Sendable, Equatable {
    case outcome(LossOutcome)
    case fault(CandidateFault)
}

/// A candidate that misbehaved: it crashed, hung, or broke the protocol.
public struct CandidateFault: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// The candidate could not be started, or exited before its handshake.
        case startFailed = "start_failed"
        /// The candidate exited while answers were outstanding.
        case crashed
        /// No answer within the time limit.
        case timedOut = "timed_out"
        /// An answer that is not a valid protocol message: not UTF-8, not JSON, bad base64, too long,
        /// a wrong id, or fields that are missing or of the wrong type.
        case protocolViolation = "protocol_violation"
    }

    public var kind: Kind
    public var message: String
    /// The end of what the candidate wrote to stderr, trimmed.
    public var stderrTail: String

    public init(kind: Kind, message: String, stderrTail: String = "") {
        self.kind = kind
        self.message = message
        self.stderrTail = stderrTail
    }

    public var description: String {
        stderrTail.isEmpty ? "\(kind.rawValue): \(message)" : "\(kind.rawValue): \(message); stderr: \(stderrTail)"
    }
}

/// The reference as a candidate, in this process.
public struct ReferenceCandidate: Candidate {
    public let info: CandidateInfo

    public init(profile: Profile = .current) {
        info = CandidateInfo(
            name: "gnll-reference", version: "1", profile: profile, dtypes: DType.allCases,
            features: CandidateFeature.allCases)
    }

    public func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        calls.map { .outcome(Reference.evaluate($0, profile: info.profile)) }
    }
}
