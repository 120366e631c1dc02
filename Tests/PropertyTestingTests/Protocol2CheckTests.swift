import Conformance
import GNLLTestSupport
import GaussianNLL
import Testing

@testable import PropertyTesting

/// The property checks and protocol 2: what each draws for a protocol 1 and a protocol 2 candidate, which checks
/// need protocol 2, and that the new checks catch what they are for.
@Suite("Property checks and protocol 2")
struct Protocol2CheckTests {
    /// The checks whose every case needs protocol 2.
    static let protocol2Only: Set<String> = [
        "property.gradient.requires_grad_independent", "property.dtype.integer_operands",
        "property.higher_order.oracle",
    ]

    static func properties(_ profile: Profile) -> [Property] {
        PropertySuite.checks(for: profile, database: nil).compactMap { $0 as? Property }
    }

    static func trials(_ property: Property, _ environment: GenerationEnvironment, count: Int) -> [Trial] {
        (0..<count).map { index in
            var source = ChoiceSource(seed: SplitMix64.caseSeed(runSeed: 3, checkID: property.id, caseIndex: index))
            return property.generate(&source, environment)
        }
    }

    @Test(
        "Protocol 2 calls for a protocol 1 environment only from the checks made of them; consistent requires_grad",
        arguments: Profile.allCases)
    func drawnCalls(profile: Profile) {
        let protocolOne = GenerationEnvironment(
            profile: profile, dtypes: DType.allCases, mixedDtypes: true, scalarVariance: true, gradients: true,
            protocolVersion: 1)
        let protocolTwo = GenerationEnvironment.everything(profile)
        var protocol2Calls = 0
        for property in Self.properties(profile) {
            for trial in Self.trials(property, protocolOne, count: 60) {
                let needsTwo = trial.calls.contains { $0.protocolVersionNeeded == 2 }
                #expect(needsTwo == Self.protocol2Only.contains(property.id), "\(property.id): \(trial.calls)")
            }
            for trial in Self.trials(property, protocolTwo, count: 60) {
                for call in trial.calls {
                    if call.protocolVersionNeeded == 2 { protocol2Calls += 1 }
                    guard call.wantsGradients else { continue }
                    // Every operand that can (protocol 1's rule), or a subset naming only floating tensors; at
                    // least one operand requires grad.
                    #expect(call.requiresGrad == .all || call.requiresGrad == call.gradientOperands, "\(property.id)")
                    #expect(call.gradientOperands.any, "\(property.id)")
                    if call.requiresGrad != .all {
                        #expect(!call.requiresGrad.input || call.input.dtype.isFloatingPoint)
                        #expect(!call.requiresGrad.target || call.target.dtype.isFloatingPoint)
                        #expect(!call.requiresGrad.variance || call.variance.tensor?.dtype.isFloatingPoint == true)
                    }
                }
            }
        }
        #expect(protocol2Calls > 100)
    }

    @Test("For a protocol 1 candidate the protocol 2 checks are not run, naming protocol 2; every other one passes")
    func protocolOneCandidate() {
        let profile = Profile.torch2_10
        let context = context(ProtocolOneCandidate(profile: profile), profile: profile, cases: 60)
        for check in PropertySuite.checks(for: profile, database: nil) {
            let result = check.run(in: context)
            if Self.protocol2Only.contains(check.id) {
                #expect(result.status == .skipped, "\(check.id)")
                #expect(result.skippedCases == 60, "\(check.id)")
                let message = result.failure?.message ?? ""
                #expect(
                    message.hasPrefix(
                        "not run: none of its 60 cases was judged; the first: unsupported: needs protocol 2 ("),
                    "\(check.id): \(message)")
            } else {
                #expect(result.status == .passed, "\(check.id): \(result.failure?.message ?? "")")
                #expect(result.skippedCases == 0, "\(check.id)")
            }
        }
    }

    @Test("For a protocol 2 candidate without integer dtypes the integer check is not run, and says why")
    func floatingOnlyCandidate() throws {
        let profile = Profile.torch2_6
        let check = try #require(
            PropertySuite.checks(for: profile, database: nil).first { $0.id == "property.dtype.integer_operands" })
        let result = check.run(in: context(FloatingOnlyCandidate(profile: profile), profile: profile, cases: 20))
        #expect(result.status == .skipped)
        #expect(result.failure?.message == "not run: the candidate declares no integer dtype")
    }

    @Test("The integer check draws wraparound, 0-d promotion and the type rejections, and the reference passes it")
    func integerCoverage() throws {
        let profile = Profile.torch2_10
        let property = try #require(Self.properties(profile).first { $0.id == "property.dtype.integer_operands" })
        let calls = Self.trials(property, .everything(profile), count: 600).flatMap(\.calls)
        var kinds = Set<RejectionKind>()
        var wrapped = 0
        var zeroDimensional = 0
        var lossTypes = Set<DType>()
        for call in calls {
            switch Oracle.evaluate(call, profile: profile) {
            case .rejection(let rejection): kinds.insert(rejection.kind)
            case .success(let loss, _, _): lossTypes.insert(loss.dtype)
            }
            if call.input.shape.rank == 0 || call.target.shape.rank == 0 { zeroDimensional += 1 }
            // A difference or square that leaves int32: it wraps.
            if call.input.dtype == .int32 && call.target.dtype == .int32,
                zip(call.input.values, call.target.values).contains(where: { abs($0 - $1) > 46340 })
            {
                wrapped += 1
            }
        }
        #expect(kinds.contains(.type))
        #expect(wrapped >= 10)
        #expect(zeroDimensional >= 50)
        #expect(lossTypes.isSuperset(of: [.float32, .float64, .float16, .bfloat16]))
        #expect(calls.contains { $0.variance.tensor.map { !$0.dtype.isFloatingPoint } ?? false })
        #expect(calls.contains { $0.input.dtype == .bool || $0.target.dtype == .bool })
        #expect(calls.contains { $0.variance.tensor == nil && !$0.input.dtype.isFloatingPoint })
    }

    @Test("The metamorphic check catches an input gradient that depends on target's requires_grad, shrunk")
    func requiresGradDependence() throws {
        let property = PropertySuite.gradientsIndependentOfRequiresGrad(nil)
        let candidate = TargetGradDependentCandidate(profile: .torch2_10)
        let result = property.run(in: context(candidate, profile: .torch2_10, cases: 100))
        #expect(result.status == .failed)
        let failure = try #require(result.failure)
        #expect(failure.message.contains("when every operand does"))
        // The shrunk case still needs protocol 2 and still fails: target does not require grad, input does.
        let call = try #require(try failure.call?.call())
        #expect(call.protocolVersionNeeded == 2)
        #expect(call.gradientOperands.input)
        #expect(!call.gradientOperands.target)
        #expect(failure.message.contains("requires_grad=True"))
        #expect(!failure.message.contains("target = torch.tensor(0.0, dtype=torch.float32, requires_grad=True)"))
        // The reference passes it.
        let reference = property.run(in: context(ReferenceCandidate(profile: .torch2_10), profile: .torch2_10))
        #expect(reference.status == .passed)
    }

    @Test("The sign check catches −0.0 for a broadcast target's gradient that cancels exactly")
    func zeroSign() throws {
        struct NegatedSum: Candidate {
            let info = CandidateInfo(
                name: "negated-sum", version: "1", dtypes: DType.allCases, features: CandidateFeature.allCases)
            func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
                calls.map { call in
                    var outcome = Reference.evaluate(call)
                    if case .success(var result) = outcome, let target = result.gradients?.target,
                        call.target.shape != call.input.shape
                    {
                        result.gradients?.target = target.mapped { $0 == 0 ? -0.0 : $0 }
                        outcome = .success(result)
                    }
                    return .outcome(outcome)
                }
            }
        }
        let property = PropertySuite.broadcastTargetZeroSign(nil)
        let result = property.run(in: context(NegatedSum(), profile: .torch2_10, cases: 50))
        #expect(result.status == .failed)
        #expect(result.failure?.message.contains("is −0.0, but target") == true)
        let call = try #require(try result.failure?.call?.call())
        #expect(call.target.shape != call.input.shape)
        // Exactly cancelling groups are common: most cases have a zero in grad_target.
        var zeros = 0
        for index in 0..<100 {
            var source = ChoiceSource(seed: UInt64(index))
            let trial = property.generate(&source, .everything(.torch2_10))
            let gradient = Reference.evaluate(trial.calls[0], profile: .torch2_10).result?.gradients?.target
            if let gradient, gradient.values.contains(0) { zeros += 1 }
            #expect(gradient?.values.allSatisfy { $0 != 0 || $0.sign == .plus } ?? true)
        }
        #expect(zeros >= 50)
    }
}
