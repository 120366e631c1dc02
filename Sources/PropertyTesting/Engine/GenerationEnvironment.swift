public import GaussianNLL

/// What generators may put in a call: the profile, and the dtypes and features the candidate declared.
///
/// Properties draw only calls the candidate supports, so a candidate limited to float32 and float64 still
/// gets a full budget of real checks rather than a run of skipped ones.
public struct GenerationEnvironment: Sendable, Equatable {
    public var profile: Profile
    /// The supported dtypes, simplest first: float32, float64, float16, bfloat16.
    public var dtypes: [DType]
    public var mixedDtypes: Bool
    public var scalarVariance: Bool
    public var gradients: Bool

    public init(profile: Profile, dtypes: [DType], mixedDtypes: Bool, scalarVariance: Bool, gradients: Bool) {
        self.profile = profile
        self.dtypes = Self.simplestFirst.filter(dtypes.contains)
        self.mixedDtypes = mixedDtypes
        self.scalarVariance = scalarVariance
        self.gradients = gradients
    }

    /// The environment of a candidate judged under a profile.
    public init(profile: Profile, candidate info: CandidateInfo) {
        self.init(
            profile: profile, dtypes: info.dtypes, mixedDtypes: info.features.contains(.mixedDtype),
            scalarVariance: info.features.contains(.scalarVar), gradients: info.features.contains(.grad))
    }

    /// Every dtype and feature.
    public static func everything(_ profile: Profile) -> GenerationEnvironment {
        GenerationEnvironment(
            profile: profile, dtypes: DType.floatingCases, mixedDtypes: true, scalarVariance: true, gradients: true)
    }

    static let simplestFirst: [DType] = [.float32, .float64, .float16, .bfloat16]

    /// The 16-bit dtypes the candidate supports.
    var halfTypes: [DType] { dtypes.filter { $0.byteWidth == 2 } }
}
