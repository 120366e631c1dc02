import GaussianNLL
import Testing

@testable import PropertyTesting

/// The random call generator reaches every corner the properties rely on.
@Suite("Generator coverage")
struct GeneratorTests {
    /// 3,000 calls of the standard recipe under a profile, for a candidate of every dtype and feature that speaks
    /// protocol 2 (or 1).
    static func sample(_ profile: Profile, count: Int = 3000, protocolVersion: Int = 2) -> [LossCase] {
        var environment = GenerationEnvironment.everything(profile)
        if protocolVersion == 1 {
            environment = GenerationEnvironment(
                profile: profile, dtypes: DType.allCases, mixedDtypes: true, scalarVariance: true, gradients: true,
                protocolVersion: 1)
        }
        return (0..<count).map { index in
            var source = ChoiceSource(seed: SplitMix64.caseSeed(runSeed: 7, checkID: "coverage", caseIndex: index))
            return source.call(.standard, environment)
        }
    }

    @Test("Ranks 0 to 6, zero-size and size-1 extents, every dtype, mixed dtypes")
    func shapesAndTypes() {
        let calls = Self.sample(.torch2_10)
        #expect(Set(calls.map(\.input.shape.rank)) == Set(0...6))
        #expect(calls.contains { $0.input.shape.dims.contains(0) })
        #expect(calls.contains { $0.input.shape.dims.contains(1) })
        #expect(Set(calls.map(\.input.dtype)) == Set(DType.floatingCases))
        #expect(calls.contains { $0.input.dtype != $0.target.dtype })
        // Cases stay small: at most 128 elements (a square input or a larger target can double 64), mostly 64.
        #expect(calls.allSatisfy { $0.input.elementCount <= 128 && $0.target.elementCount <= 128 })
        #expect(calls.filter { $0.input.elementCount <= 64 }.count >= calls.count * 99 / 100)
    }

    @Test("Special values: NaN, ±inf, ±0, subnormals, the largest finite values")
    func specialValues() {
        let values = Self.sample(.torch2_10).flatMap { call in
            call.input.values.map { (value: $0, dtype: call.input.dtype) }
        }
        #expect(values.contains { $0.value.isNaN })
        #expect(values.contains { $0.value == .infinity })
        #expect(values.contains { $0.value == -.infinity })
        #expect(values.contains { $0.value == 0 && $0.value.sign == .minus })
        #expect(values.contains { $0.value == 0 && $0.value.sign == .plus })
        #expect(values.contains { $0.value != 0 && abs($0.value) < $0.dtype.leastNormalMagnitude })
        #expect(values.contains { abs($0.value) == $0.dtype.greatestFiniteMagnitude })
    }

    @Test("var: every shape form, Python floats, values at and around eps, negative entries")
    func varianceForms() {
        let calls = Self.sample(.torch2_10)
        var forms = Set<String>()
        for call in calls {
            guard let variance = call.variance.tensor else {
                forms.insert("scalar")
                continue
            }
            let input = call.input.shape
            let shape = variance.shape
            if shape == input { forms.insert("same") }
            if input.rank >= 1 && shape == input.droppingLast { forms.insert("[:-1]") }
            if input.rank >= 1 && shape == input.droppingLast.appendingUnitAxis && shape != input {
                forms.insert("[:-1]+(1,)")
            }
            if shape.rank == 0 && input.rank >= 2 { forms.insert("0-d for 2-D") }
            if shape.rank == input.rank && shape != input && zip(shape.dims, input.dims).filter({ $0 != $1 }).count == 1
                && shape.dims.last != 1
            {
                forms.insert("same rank, one unit")
            }
            if input.rank >= 2 && input.dims[input.rank - 1] == input.dims[input.rank - 2]
                && shape == input.droppingLast
            {
                forms.insert("square trap")
            }
            if !Profile.torch2_10.acceptsVarianceShape(shape, input: input) { forms.insert("rejected") }
        }
        #expect(
            forms == [
                "same", "[:-1]", "[:-1]+(1,)", "scalar", "0-d for 2-D", "same rank, one unit", "square trap",
                "rejected",
            ])
        let values = calls.flatMap { call in
            call.variance.tensor.map { tensor in tensor.values.map { ($0, call.eps) } } ?? []
        }
        #expect(values.contains { $0.0 < 0 })
        #expect(values.contains { $0.0 == $0.1 && $0.1 > 0 })
        #expect(values.contains { $0.0 > 0 && $0.0 < $0.1 })
    }

    @Test("Targets that broadcast, that make the loss larger than input, and that do not broadcast")
    func targetForms() {
        let calls = Self.sample(.torch2_10)
        #expect(calls.contains { $0.target.shape.rank < $0.input.shape.rank })
        #expect(calls.contains { $0.target.shape.count > $0.input.shape.count })
        #expect(
            calls.contains {
                if case .failure = Shape.broadcast($0.input.shape, $0.target.shape) { return true }
                return false
            })
        // torch-1.8 also gets targets with the same (N, -1) view.
        #expect(
            Self.sample(.torch1_8).contains {
                $0.target.shape != $0.input.shape && $0.target.shape.count == $0.input.shape.count
            })
    }

    @Test("Parameters: eps 0, negative, tiny and huge; invalid reductions; full; gradients")
    func parameters() {
        let calls = Self.sample(.torch2_10)
        #expect(calls.contains { $0.eps == 0 })
        #expect(calls.contains { $0.eps < 0 })
        #expect(calls.contains { $0.eps > 0 && $0.eps < 1e-300 })
        #expect(calls.contains { $0.eps > 1e3 && $0.eps.isFinite })
        #expect(Set(calls.map(\.reduction)).isSuperset(of: ["none", "mean", "sum"]))
        #expect(calls.contains { !["none", "mean", "sum"].contains($0.reduction) })
        #expect(calls.contains { $0.full })
        #expect(calls.contains { $0.wantsGradients })
    }

    @Test(
        "Protocol 2: non-finite eps and Python-float var, gradients for only some operands, requires_grad kept consistent"
    )
    func protocol2Calls() {
        let calls = Self.sample(.torch2_10)
        #expect(calls.contains { $0.eps.isNaN })
        #expect(calls.contains { $0.eps == .infinity })
        #expect(calls.contains { $0.eps == -.infinity })
        let scalars = calls.compactMap { call -> Double? in
            if case .scalar(let value) = call.variance { return value }
            return nil
        }
        #expect(scalars.contains { $0.isNaN })
        #expect(scalars.contains { $0 == .infinity })
        #expect(scalars.contains { $0 == -.infinity })
        let partial = calls.filter { $0.wantsGradients && $0.protocol2Reason?.hasPrefix("gradients for only") == true }
        #expect(partial.count >= 50)
        for call in calls where call.wantsGradients {
            #expect(call.requiresGrad == .all || call.requiresGrad == call.gradientOperands)
            #expect(call.requiresGrad.any)
        }
    }

    @Test("Protocol 1: every call is finite, asks for every operand's gradient, and needs no protocol 2")
    func protocol1Calls() {
        let calls = Self.sample(.torch2_10, protocolVersion: 1)
        #expect(calls.allSatisfy { $0.protocolVersionNeeded == 1 })
        #expect(calls.allSatisfy { $0.eps.isFinite })
        #expect(calls.allSatisfy { call in call.variance.tensor != nil || call.variance.values.allSatisfy(\.isFinite) })
        #expect(calls.contains { $0.wantsGradients })
    }

    @Test("Every rejection kind of a profile turns up", arguments: Profile.allCases)
    func rejections(profile: Profile) {
        var kinds = Set<RejectionKind>()
        for call in Self.sample(profile) {
            if case .rejection(let rejection) = Oracle.evaluate(call, profile: profile) { kinds.insert(rejection.kind) }
        }
        var expected: Set<RejectionKind> = [.negativeVar, .varSize, .reduction]
        expected.insert(profile.sumsPerSample ? .targetSize : .broadcast)
        if !profile.acceptsScalarVariance { expected.insert(.type) }
        #expect(kinds.isSuperset(of: expected))
    }

    @Test("A candidate's declared dtypes and features limit what is drawn")
    func environment() {
        let environment = GenerationEnvironment(
            profile: .torch2_10, dtypes: [.float64, .float32], mixedDtypes: false, scalarVariance: false,
            gradients: false)
        #expect(environment.dtypes == [.float32, .float64])
        #expect(environment.integralTypes.isEmpty)
        let integral = GenerationEnvironment(
            profile: .torch2_10, dtypes: [.bool, .int64, .float32], mixedDtypes: true, scalarVariance: false,
            gradients: true)
        #expect(integral.dtypes == [.float32])
        #expect(integral.integralTypes == [.int64, .bool])
        let protocolOne = GenerationEnvironment(
            profile: .torch2_10, dtypes: [.bool, .int64, .float32], mixedDtypes: true, scalarVariance: false,
            gradients: true, protocolVersion: 1)
        #expect(protocolOne.integralTypes.isEmpty)
        for index in 0..<500 {
            var source = ChoiceSource(seed: UInt64(index))
            let call = source.call(.standard, environment)
            #expect([DType.float32, .float64].contains(call.input.dtype))
            #expect(call.input.dtype == call.target.dtype)
            #expect(call.variance.tensor?.dtype == call.input.dtype)
            #expect(call.gradOutput == nil)
        }
    }
}
