import Conformance
import GaussianNLL
import Judge

@testable import PropertyTesting

/// A context for a candidate under a profile.
func context(
    _ candidate: any Candidate, profile: Profile, seed: UInt64 = 1, cases: Int = Budget.default.casesPerProperty
) -> CheckContext {
    CheckContext(
        candidate: candidate, profile: profile, seed: seed, casesPerProperty: cases,
        reproduction: { "gnll verify --seed \(seed) --check \($0)" })
}

/// The reference, speaking protocol 1 only (every dtype and feature otherwise): never sent a protocol 2 call.
struct ProtocolOneCandidate: Candidate {
    let info: CandidateInfo
    let reference: ReferenceCandidate

    init(profile: Profile) {
        reference = ReferenceCandidate(profile: profile)
        info = CandidateInfo(
            name: "protocol-1", version: "1", profile: profile, dtypes: DType.allCases,
            features: CandidateFeature.allCases, protocolVersion: 1)
    }

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        calls.map { call in
            precondition(call.protocolVersionNeeded == 1, "a protocol 1 candidate was sent \(call)")
            return reference.evaluate([call])[0]
        }
    }
}

/// The reference, declaring protocol 2 and every floating dtype and feature, but no integer dtype or bool.
struct FloatingOnlyCandidate: Candidate {
    let info: CandidateInfo
    let reference: ReferenceCandidate

    init(profile: Profile) {
        reference = ReferenceCandidate(profile: profile)
        info = CandidateInfo(
            name: "floating-only", version: "1", profile: profile, dtypes: DType.floatingCases,
            features: CandidateFeature.allCases)
    }

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] { reference.evaluate(calls) }
}

/// The reference, except that input's gradient is doubled when target does not require grad.
struct TargetGradDependentCandidate: Candidate {
    let info: CandidateInfo
    let reference: ReferenceCandidate

    init(profile: Profile) {
        reference = ReferenceCandidate(profile: profile)
        info = CandidateInfo(
            name: "target-grad-dependent", version: "1", profile: profile, dtypes: DType.allCases,
            features: CandidateFeature.allCases)
    }

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        zip(calls, reference.evaluate(calls)).map { call, answer in
            guard call.wantsGradients, !call.gradientOperands.target, case .outcome(.success(var result)) = answer,
                let input = result.gradients?.input
            else { return answer }
            result.gradients?.input = input.mapped { 2 * $0 }
            return .outcome(.success(result))
        }
    }
}

/// The reference, protocol 2 with every dtype, declaring only the given features; it refuses a request for a
/// feature it did not declare (the suite must never send one).
struct FeatureCandidate: Candidate {
    let info: CandidateInfo
    let reference: ReferenceCandidate

    init(profile: Profile, features: [CandidateFeature]) {
        reference = ReferenceCandidate(profile: profile)
        info = CandidateInfo(
            name: "features", version: "1", profile: profile, dtypes: DType.allCases, features: features)
    }

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        calls.map { call in
            precondition(info.unsupportedReason(for: call) == nil, "sent a call it did not declare: \(call)")
            return reference.evaluate([call])[0]
        }
    }
}

/// The reference with every feature, whose hvp is zero everywhere (a Hessian taken as 0).
struct ZeroHessianCandidate: Candidate {
    let reference: ReferenceCandidate
    var info: CandidateInfo { reference.info }

    init(profile: Profile) { reference = ReferenceCandidate(profile: profile) }

    func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        reference.evaluate(calls).map { answer in
            guard case .outcome(.success(var result)) = answer, let hvp = result.hvp else { return answer }
            func zero(_ tensor: Tensor?) -> Tensor? { tensor.map { $0.with(values: $0.values.map { _ in 0 }) } }
            result.hvp = OperandTensors(input: zero(hvp.input), target: zero(hvp.target), variance: zero(hvp.variance))
            return .outcome(.success(result))
        }
    }
}
