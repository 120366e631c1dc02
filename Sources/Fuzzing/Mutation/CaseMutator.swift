public import GaussianNLL

/// Mutates calls at the bit level and at the shape level, deterministically for a random state.
///
/// A mutated call is always sendable to a protocol candidate and small: eps and a Python-float var stay
/// finite (JSON cannot carry the others), every operand has at most ``maximumOperandElements`` elements
/// and their broadcast at most ``maximumElements``, and `grad_output`, when gradients are asked for, has
/// the loss's shape and dtype under the profile.
///
/// ```swift
/// let mutator = CaseMutator(profile: .torch2_10)
/// var random = SplitMix64(seed: 1)
/// let (call, applied) = mutator.mutate(SeedCases.all()[0], random: &random)
/// ```
public struct CaseMutator: Sendable {
    /// The profile that decides the loss's shape and dtype, for `grad_output`.
    public var profile: Profile
    /// The most elements one operand may have.
    public var maximumOperandElements: Int
    /// The most elements the broadcast of input, target and var may have.
    public var maximumElements: Int
    /// The mutations ``mutate(_:random:)`` draws from.
    public var mutations: [Mutation]

    public init(
        profile: Profile = .current, maximumOperandElements: Int = 64, maximumElements: Int = 512,
        mutations: [Mutation] = Mutation.allCases
    ) {
        self.profile = profile
        self.maximumOperandElements = maximumOperandElements
        self.maximumElements = maximumElements
        self.mutations = mutations.isEmpty ? Mutation.allCases : mutations
    }

    /// Applies one to three random mutations; returns the call and the mutations that changed it.
    public func mutate(_ call: LossCase, random: inout SplitMix64) -> (call: LossCase, mutations: [Mutation]) {
        var result = call
        var applied = [Mutation]()
        let wanted = 1 + random.integer(below: 3)
        var attempts = 0
        while applied.count < wanted && attempts < 8 {
            attempts += 1
            let mutation = pickMutation(random: &random)
            if let mutated = apply(mutation, to: result, random: &random) {
                result = mutated
                applied.append(mutation)
            }
        }
        return (result, applied)
    }

    /// Applies one mutation; `nil` when it cannot apply or would break the limits.
    public func apply(_ mutation: Mutation, to call: LossCase, random: inout SplitMix64) -> LossCase? {
        var result = call
        switch mutation {
        case .extremeExponent, .subnormal, .nanPayload, .signedZero, .infinity, .aroundEps, .bitFlip, .scale,
            .plainValue:
            guard mutateValue(mutation, of: &result, random: &random) else { return nil }
        case .extent:
            guard result.input.shape.rank > 0 else { return nil }
            var dims = result.input.shape.dims
            dims[random.integer(below: dims.count)] = random.element(of: [0, 1, 1, 2, 2, 3, 4, 5, 8])
            result = reshaped(result, input: Shape(dims), random: &random)
        case .rank:
            var dims = result.input.shape.dims
            if !dims.isEmpty && (dims.count >= 4 || random.chance(1, in: 2)) {
                dims.remove(at: random.integer(below: dims.count))
            } else {
                dims.insert(random.element(of: [1, 2, 3]), at: random.integer(below: dims.count + 1))
            }
            result = reshaped(result, input: Shape(dims), random: &random)
        case .varianceForm:
            let form = random.element(of: OperandForm.allCases)
            result.variance = variance(
                form: form, like: result.variance, input: result.input, random: &random)
        case .targetForm:
            let form = random.element(of: [OperandForm.same, .ones, .suffix, .zeroDimensional, .other])
            let shape = form.shape(for: result.input.shape, random: &random)
            result.target = refilled(result.target, shape: shape, fallback: 0.25)
        case .dtype:
            let dtype = random.element(of: DType.floatingCases)
            if random.chance(1, in: 2) {
                result.input = result.input.converted(to: dtype)
                result.target = result.target.converted(to: dtype)
                if case .tensor(let tensor) = result.variance { result.variance = .tensor(tensor.converted(to: dtype)) }
            } else {
                switch random.integer(below: 3) {
                case 0: result.input = result.input.converted(to: dtype)
                case 1: result.target = result.target.converted(to: dtype)
                default:
                    guard case .tensor(let tensor) = result.variance else { return nil }
                    result.variance = .tensor(tensor.converted(to: dtype))
                }
            }
        case .reduction:
            result.reduction =
                random.chance(5, in: 6)
                ? random.element(of: Reduction.allCases).rawValue
                : random.element(of: Self.invalidReductions)
        case .eps:
            result.eps = eps(near: result, random: &random)
        case .full:
            result.full.toggle()
        case .gradients:
            result.gradOutput = result.gradOutput == nil ? Tensor.scalar(1, dtype: result.input.dtype) : nil
        }
        return normalized(result)
    }

    /// Reductions PyTorch rejects, some of them near the valid ones.
    public static let invalidReductions = ["MEAN", "Sum", "", " sum", "none ", "avg", "elementwise_mean", "batchmean"]

    /// Gives grad_output the loss's shape and dtype, and checks the limits; `nil` when they are broken.
    public func normalized(_ call: LossCase) -> LossCase? {
        var result = call
        let operands = [result.input, result.target] + (result.variance.tensor.map { [$0] } ?? [])
        guard operands.allSatisfy({ $0.elementCount <= maximumOperandElements }) else { return nil }
        let varianceShape = result.variance.tensor?.shape ?? []
        if case .success(let difference) = Shape.broadcast(result.input.shape, result.target.shape),
            case .success(let elements) = Shape.broadcast(difference, varianceShape),
            let count = try? elements.elementCount(), count > maximumElements
        {
            return nil
        }
        if case .scalar(let value) = result.variance, !value.isFinite { return nil }
        guard result.eps.isFinite else { return nil }
        guard let gradOutput = result.gradOutput else { return result }
        var plain = result
        plain.gradOutput = nil
        guard case .success(let loss) = Reference.evaluate(plain, profile: profile) else { return result }
        if gradOutput.shape != loss.loss.shape || gradOutput.dtype != loss.loss.dtype {
            result.gradOutput = refilled(gradOutput.converted(to: loss.loss.dtype), shape: loss.loss.shape, fallback: 1)
        }
        return result
    }

    // MARK: - Values

    private func pickMutation(random: inout SplitMix64) -> Mutation {
        // Values change most often; shapes, dtypes and options less; var's form and eps more than others.
        let values = Mutation.valueMutations.filter(mutations.contains)
        let others = [
            Mutation.extent, .rank, .varianceForm, .varianceForm, .targetForm, .dtype, .reduction, .eps, .eps, .full,
            .gradients, .gradients,
        ].filter(mutations.contains)
        if others.isEmpty || (!values.isEmpty && random.chance(3, in: 5)) { return random.element(of: values) }
        return random.element(of: others)
    }

    /// Changes one element (or every element) of a random operand.
    private func mutateValue(_ mutation: Mutation, of call: inout LossCase, random: inout SplitMix64) -> Bool {
        var choices = ["input", "target", "var", "var"]
        if call.gradOutput != nil { choices.append("grad_output") }
        let operand = random.element(of: choices)
        let epsInVarType = (call.variance.tensor?.dtype ?? call.input.dtype).round(call.eps)
        func change(_ tensor: Tensor) -> Tensor? {
            guard tensor.elementCount > 0 else { return nil }
            var values = tensor.values
            let every = random.chance(1, in: 4)
            let indices = every ? Array(values.indices) : [random.integer(below: values.count)]
            let draw = value(mutation, old: values[indices[0]], dtype: tensor.dtype, eps: epsInVarType, random: &random)
            for index in indices { values[index] = draw }
            return try? Tensor(dtype: tensor.dtype, shape: tensor.shape, values: values)
        }
        switch operand {
        case "input":
            guard let changed = change(call.input) else { return false }
            call.input = changed
        case "target":
            guard let changed = change(call.target) else { return false }
            call.target = changed
        case "grad_output":
            guard let gradOutput = call.gradOutput, let changed = change(gradOutput) else { return false }
            call.gradOutput = changed
        default:
            switch call.variance {
            case .tensor(let tensor):
                guard let changed = change(tensor) else { return false }
                call.variance = .tensor(changed)
            case .scalar(let old):
                let draw = value(mutation, old: old, dtype: .float64, eps: call.eps, random: &random)
                guard draw.isFinite else { return false }
                call.variance = .scalar(draw)
            }
        }
        return true
    }

    /// A new value for an element of a dtype.
    private func value(
        _ mutation: Mutation, old: Double, dtype: DType, eps: Double, random: inout SplitMix64
    ) -> Double {
        let negative = random.chance(1, in: 3)
        func signed(_ x: Double) -> Double { dtype.round(negative ? -x : x) }
        switch mutation {
        case .extremeExponent:
            let greatest = dtype.greatestFiniteMagnitude
            let least = dtype.leastNormalMagnitude
            return signed(
                random.element(of: [
                    greatest, dtype.nextDown(greatest), greatest / 2, least, dtype.nextUp(least), least * 2,
                    Double(sign: .plus, exponent: dtype.maximumExponent, significand: 1),
                    Double(sign: .plus, exponent: dtype.maximumExponent / 2, significand: 1.5),
                    Double(sign: .plus, exponent: dtype.minimumExponent / 2, significand: 1.25),
                ]))
        case .subnormal:
            let steps = 1 + random.integer(below: 1 << min(dtype.precision - 1, 30))
            return signed(dtype.leastNonzeroMagnitude * Double(random.chance(1, in: 2) ? 1 : steps))
        case .nanPayload:
            return dtype.nan(payload: random.next(), negative: negative)
        case .signedZero:
            return random.chance(1, in: 2) ? 0 : -0.0
        case .infinity:
            return negative ? -.infinity : .infinity
        case .aroundEps:
            let center = dtype.round(eps)
            return dtype.round(
                random.element(of: [
                    center, dtype.nextUp(center), dtype.nextDown(center), dtype.nextUp(dtype.nextUp(center)),
                    center / 2, center * 2, 0, dtype.nextUp(0),
                ]))
        case .bitFlip:
            let bits = dtype.bitPattern(of: old) ^ (1 << UInt64(random.integer(below: dtype.byteWidth * 8)))
            return dtype.value(bitPattern: bits)
        case .scale:
            let exponent = random.integer(in: -40...40)
            return dtype.round(old * Double(sign: .plus, exponent: exponent, significand: 1))
        case .plainValue:
            if random.chance(1, in: 2) { return signed(Double(random.integer(in: 0...64)) / 8) }
            return signed(
                Double(sign: .plus, exponent: random.integer(in: -24...24), significand: 1 + random.unitInterval()))
        default:
            return old
        }
    }

    /// An eps that finds bugs: the default, 0, −0.0, negative, tiny, huge, or next to a var value.
    private func eps(near call: LossCase, random: inout SplitMix64) -> Double {
        let varianceType = call.variance.tensor?.dtype ?? call.input.dtype
        let values = call.variance.tensor?.values.filter(\.isFinite) ?? []
        if !values.isEmpty && random.chance(2, in: 5) {
            // Just above, at or below a var value, in var's dtype (and in double, between them).
            let value = abs(random.element(of: values))
            return random.element(of: [
                value, varianceType.nextUp(value), varianceType.nextDown(value), value.nextUp, value.nextDown,
            ])
        }
        return random.element(of: [
            LossCase.defaultEps, LossCase.defaultEps.nextUp, LossCase.defaultEps.nextDown, 0, -0.0, -1e-6, -1,
            varianceType.leastNonzeroMagnitude, varianceType.leastNormalMagnitude, Double.leastNonzeroMagnitude,
            1e-300, 1e-45, 1e-8, 1e-3, 0.5, 1, 10, 1e30, 1e300, Double(Float.greatestFiniteMagnitude),
            Double(Float16.greatestFiniteMagnitude), Double.greatestFiniteMagnitude,
        ])
    }

    // MARK: - Shapes

    /// The call with a new input shape; target and var keep their forms, and values repeat the old ones.
    func apply(to call: LossCase, inputShape shape: Shape, random: inout SplitMix64) -> LossCase {
        reshaped(call, input: shape, random: &random)
    }

    private func reshaped(_ call: LossCase, input shape: Shape, random: inout SplitMix64) -> LossCase {
        var result = call
        let targetForm = OperandForm.of(call.target.shape, input: call.input.shape)
        let varianceForm = OperandForm.of(call.variance, input: call.input.shape)
        result.input = refilled(call.input, shape: shape, fallback: 0.5)
        result.target = refilled(call.target, shape: targetForm.shape(for: shape, random: &random), fallback: 0.25)
        result.variance = variance(form: varianceForm, like: call.variance, input: result.input, random: &random)
        return result
    }

    /// var in a form, with the old var's dtype and values.
    private func variance(form: OperandForm, like old: Variance, input: Tensor, random: inout SplitMix64) -> Variance {
        let template: Tensor
        switch old {
        case .tensor(let tensor): template = tensor
        case .scalar(let value): template = Tensor.scalar(value, dtype: input.dtype)
        }
        if form == .scalar {
            let value = template.values.first(where: \.isFinite) ?? 1
            return .scalar(value)
        }
        return .tensor(refilled(template, shape: form.shape(for: input.shape, random: &random), fallback: 1))
    }

    /// A tensor of another shape whose elements repeat the old ones (or `fallback` when there are none).
    func refilled(_ tensor: Tensor, shape: Shape, fallback: Double) -> Tensor {
        let count = (try? shape.elementCount()) ?? 0
        let old = tensor.values
        let values = (0..<count).map { old.isEmpty ? fallback : old[$0 % old.count] }
        return (try? Tensor(dtype: tensor.dtype, shape: shape, values: values)) ?? tensor
    }
}
