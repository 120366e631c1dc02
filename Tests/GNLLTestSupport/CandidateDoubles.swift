public import GaussianNLL

/// The reference, wrong by +1 in the loss whenever input has three elements or more.
public struct BrokenCandidate: Candidate {
    public let info: CandidateInfo
    let reference: ReferenceCandidate

    public init(profile: Profile = .current) {
        reference = ReferenceCandidate(profile: profile)
        info = CandidateInfo(
            name: "broken", version: "1", profile: profile, dtypes: DType.allCases, features: CandidateFeature.allCases)
    }

    public func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        zip(calls, reference.evaluate(calls)).map { call, answer in
            guard call.input.elementCount >= 3, case .outcome(.success(var result)) = answer else { return answer }
            result.loss = try! Tensor(
                dtype: result.loss.dtype, shape: result.loss.shape, values: result.loss.values.map { $0 + 1 })
            return .outcome(.success(result))
        }
    }
}

/// The reference, declaring only float32 and float64 and no optional feature.
public struct LimitedCandidate: Candidate {
    public let info: CandidateInfo
    let reference: ReferenceCandidate

    public init(profile: Profile) {
        reference = ReferenceCandidate(profile: profile)
        info = CandidateInfo(
            name: "limited", version: "1", profile: profile, dtypes: [.float32, .float64], features: [])
    }

    public func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] { reference.evaluate(calls) }
}
