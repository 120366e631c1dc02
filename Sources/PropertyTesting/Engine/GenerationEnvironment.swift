public import GaussianNLL

/// What generators may put in a call: the profile, and the dtypes, features and protocol version the candidate
/// declared.
///
/// Properties draw only calls the candidate supports, so a candidate limited to float32 and float64 still
/// gets a full budget of real checks rather than a run of skipped ones. A protocol 1 candidate gets no protocol 2
/// call (non-finite eps or scalar var, gradients for only some operands, integer or bool operands) from a
/// property that can do without one; a property that cannot draws its cases anyway, and the suite skips each
/// with the reason "needs protocol 2 (…)", so that the check is named among those that did not run.
public struct GenerationEnvironment: Sendable, Equatable {
    public var profile: Profile
    /// The supported floating dtypes, simplest first: float32, float64, float16, bfloat16.
    public var dtypes: [DType]
    /// The supported integer dtypes and bool (protocol 2), simplest first: int32, int64, bool.
    public var integralTypes: [DType]
    public var mixedDtypes: Bool
    public var scalarVariance: Bool
    public var gradients: Bool
    /// The candidate protocol version the candidate speaks: 1 or 2.
    public var protocolVersion: Int
    /// Whether the candidate declared the hvp feature (protocol 2).
    public var hvp: Bool
    /// Whether the candidate declared the jvp feature (protocol 2).
    public var jvp: Bool

    public init(
        profile: Profile, dtypes: [DType], mixedDtypes: Bool, scalarVariance: Bool, gradients: Bool,
        protocolVersion: Int = CandidateInfo.latestProtocolVersion, hvp: Bool = false, jvp: Bool = false
    ) {
        self.profile = profile
        self.dtypes = Self.simplestFirst.filter(dtypes.contains)
        self.integralTypes = protocolVersion >= 2 ? Self.integralSimplestFirst.filter(dtypes.contains) : []
        self.mixedDtypes = mixedDtypes
        self.scalarVariance = scalarVariance
        self.gradients = gradients
        self.protocolVersion = protocolVersion
        self.hvp = hvp
        self.jvp = jvp
    }

    /// The environment of a candidate judged under a profile.
    public init(profile: Profile, candidate info: CandidateInfo) {
        self.init(
            profile: profile, dtypes: info.dtypes, mixedDtypes: info.features.contains(.mixedDtype),
            scalarVariance: info.features.contains(.scalarVar), gradients: info.features.contains(.grad),
            protocolVersion: info.protocolVersion, hvp: info.features.contains(.hvp), jvp: info.features.contains(.jvp))
    }

    /// Every dtype and feature, protocol 2.
    public static func everything(_ profile: Profile) -> GenerationEnvironment {
        GenerationEnvironment(
            profile: profile, dtypes: DType.allCases, mixedDtypes: true, scalarVariance: true, gradients: true,
            hvp: true, jvp: true)
    }

    static let simplestFirst: [DType] = [.float32, .float64, .float16, .bfloat16]
    static let integralSimplestFirst: [DType] = [.int32, .int64, .bool]

    /// The 16-bit dtypes the candidate supports.
    var halfTypes: [DType] { dtypes.filter { $0.byteWidth == 2 } }

    /// Whether the candidate can be sent protocol 2 calls.
    var speaksProtocol2: Bool { protocolVersion >= 2 }

    /// Why a property made only of protocol 2 calls of integer operands beside floating ones cannot run for a
    /// protocol 2 candidate, or `nil`. A protocol 1 candidate gets the cases anyway (each is skipped as needing
    /// protocol 2).
    var integerOperandsUnsupported: String? {
        guard speaksProtocol2 else { return nil }
        if integralTypes.filter({ $0 != .bool }).isEmpty { return "the candidate declares no integer dtype" }
        if !mixedDtypes { return "the candidate takes no mixed dtypes (an integer operand beside a floating one)" }
        return nil
    }
}
