import GaussianNLL
import Judge

/// Differential: small calls built from the input (any dtypes, shapes of at most 64 elements, arbitrary
/// float bits, eps, reduction, profile, gradients) go through `Reference.evaluate` and `Oracle.evaluate`.
/// Neither may trap; they must agree on acceptance, on the rejection, and on every output's shape and
/// dtype; and the reference's values must pass the judge against the oracle.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var bytes = FuzzBytes(data, size)
    let profile = bytes.pick(Profile.allCases)
    guard let call = bytes.call(profile: profile) else { return 0 }
    check(call, profile: profile)
    return 0
}

/// Reference and oracle agree on the call.
func check(_ call: LossCase, profile: Profile) {
    let outcome = Reference.evaluate(call, profile: profile)
    let expected = Oracle.evaluate(call, profile: profile)
    func fail(_ problem: String) -> Never {
        fatalError("\(profile): \(problem)\n\(describe(call))")
    }
    switch (outcome, expected) {
    case (.rejection(let got), .rejection(let wanted)):
        if got != wanted { fail("the reference rejects with \(got), the oracle with \(wanted)") }
    case (.rejection(let got), .success):
        fail("the reference rejects with \(got), the oracle accepts")
    case (.success, .rejection(let wanted)):
        fail("the reference accepts, the oracle rejects with \(wanted)")
    case (.success(let result), .success(let loss, let gradients, _)):
        if result.loss.dtype != loss.dtype || result.loss.shape != loss.shape {
            fail("loss \(result.loss.dtype)\(result.loss.shape), oracle \(loss.dtype)\(loss.shape)")
        }
        if loss.elements.count != result.loss.elementCount { fail("the oracle's loss has the wrong count") }
        if call.wantsGradients != (result.gradients != nil) || call.wantsGradients != (gradients != nil) {
            fail("gradients present: reference \(result.gradients != nil), oracle \(gradients != nil)")
        }
        if let got = result.gradients, let wanted = gradients {
            let pairs: [(String, Tensor?, ExactTensor?)] = [
                ("grad_input", got.input, wanted.input), ("grad_target", got.target, wanted.target),
                ("grad_var", got.variance, wanted.variance),
            ]
            for (name, tensor, exact) in pairs {
                if (tensor == nil) != (exact == nil) { fail("\(name) present in only one of them") }
                guard let tensor, let exact else { continue }
                if tensor.dtype != exact.dtype || tensor.shape != exact.shape {
                    fail("\(name) \(tensor.dtype)\(tensor.shape), oracle \(exact.dtype)\(exact.shape)")
                }
                if exact.elements.count != tensor.elementCount { fail("the oracle's \(name) has the wrong count") }
            }
            if (got.variance == nil) != (call.variance.tensor == nil) { fail("grad_var for a scalar var") }
        }
        let judgement = Judge().judge(outcome, expected: expected, call: call)
        if judgement.status != .passed {
            fail("the judge says \(judgement.status): \(judgement.findings.joined(separator: "; "))")
        }
    }
}

/// The call, with every value's bit pattern, for a failure message.
func describe(_ call: LossCase) -> String {
    func tensor(_ tensor: Tensor) -> String {
        let values = tensor.values.map { "\($0)" }.joined(separator: ", ")
        return "\(tensor.dtype)\(tensor.shape) [\(values)]"
    }
    var lines = ["input: \(tensor(call.input))", "target: \(tensor(call.target))"]
    switch call.variance {
    case .tensor(let variance): lines.append("var: \(tensor(variance))")
    case .scalar(let value): lines.append("var: scalar \(value)")
    }
    lines.append(
        "full: \(call.full), eps: \(call.eps) (0x\(String(call.eps.bitPattern, radix: 16))), reduction: \(call.reduction)"
    )
    if let gradOutput = call.gradOutput { lines.append("grad_output: \(tensor(gradOutput))") }
    return lines.joined(separator: "\n")
}

/// The most elements one operand may have.
let operandLimit = 64

extension FuzzBytes {
    /// A call whose operands each have at most ``operandLimit`` elements; `nil` when the input asks for
    /// larger ones.
    mutating func call(profile: Profile) -> LossCase? {
        let inputType = pick(DType.floatingCases)
        let mixed = byte()
        let targetType = mixed & 0x03 == 0x03 ? pick(DType.floatingCases) : inputType
        let varianceType = mixed & 0x0C == 0x0C ? pick(DType.floatingCases) : inputType

        let inputShape = smallShape()
        let targetShape: Shape
        switch index(4) {
        case 0: targetShape = smallShape()
        case 1: targetShape = Shape(inputShape.dims.map { bool() ? 1 : $0 })
        case 2: targetShape = Shape(Array(inputShape.dims.dropFirst(index(3))))
        default: targetShape = inputShape
        }
        var scalarVariance: Double?
        let varianceShape: Shape
        switch index(9) {
        case 0: varianceShape = inputShape.droppingLast
        case 1: varianceShape = inputShape.droppingLast.appendingUnitAxis
        case 2: varianceShape = Shape(inputShape.dims.map { bool() ? 1 : $0 })
        case 3: varianceShape = smallShape()
        case 4: varianceShape = []
        case 5:
            varianceShape = []
            scalarVariance = value(varianceType, positive: true)
        default: varianceShape = inputShape
        }
        for shape in [inputShape, targetShape, varianceShape] {
            guard let count = try? shape.elementCount(), count <= operandLimit else { return nil }
        }
        let input = tensor(inputType, inputShape, positive: false)
        let target = tensor(targetType, targetShape, positive: false)
        let variance: Variance =
            scalarVariance.map { .scalar($0) } ?? .tensor(tensor(varianceType, varianceShape, positive: true))
        var call = LossCase(
            input: input, target: target, variance: variance, full: bool(), eps: eps(), reduction: reduction())
        if bool() {
            // grad_output with the loss's shape and dtype; or, rarely, any 0-d tensor.
            if case .success(let result) = Reference.evaluate(call, profile: profile),
                result.loss.elementCount <= 4096
            {
                call.gradOutput = tensor(result.loss.dtype, result.loss.shape, positive: false)
            } else {
                call.gradOutput = tensor(pick(DType.floatingCases), [], positive: false)
            }
        }
        return call
    }

    mutating func smallShape() -> Shape {
        let rank = index(5)
        return Shape(
            (0..<rank).map { _ in
                let raw = byte()
                return raw < 0xF0 ? Int(raw % 5) : Int(raw - 0xF0) * 8
            })
    }

    /// Values for a tensor: one pattern for every element, or one draw per element.
    mutating func tensor(_ dtype: DType, _ shape: Shape, positive: Bool) -> Tensor {
        let count = (try? shape.elementCount()) ?? 0
        let values: [Double]
        switch index(3) {
        case 0:
            let fill = value(dtype, positive: positive)
            values = [Double](repeating: fill, count: count)
        case 1:
            let start = value(dtype, positive: positive)
            let step = Double(Int8(bitPattern: byte())) / 16
            values = (0..<count).map { positive ? abs(start + Double($0) * step) : start + Double($0) * step }
        default:
            values = (0..<count).map { _ in value(dtype, positive: positive) }
        }
        return try! Tensor(dtype: dtype, shape: shape, values: values)
    }

    /// One value of a dtype: a plain number, raw bits, or a special value of the dtype.
    mutating func value(_ dtype: DType, positive: Bool) -> Double {
        let selector = byte()
        var value: Double
        switch selector % 8 {
        case 0, 1, 2:
            value = Double(Int8(bitPattern: byte())) / 8
        case 3:
            switch dtype {
            case .float16: value = Double(Float16(bitPattern: uint16()))
            case .bfloat16: value = BFloat16Bits.value(uint16())
            case .float32: value = Double(Float(bitPattern: uint32()))
            case .float64: value = Double(bitPattern: uint64())
            case .int32, .int64, .bool: value = Double(Int8(bitPattern: byte()))  // floating dtypes only are drawn
            }
        case 4:
            value = pick([
                0, -0.0, .infinity, -.infinity, .nan, dtype.greatestFiniteMagnitude, dtype.leastNormalMagnitude,
                dtype.leastNonzeroMagnitude, dtype.leastNonzeroMagnitude * 3, dtype.unitRoundoff,
                1 - dtype.unitRoundoff,
            ])
        case 5:
            // Around the default eps, in the dtype.
            let eps = dtype.round(1e-6)
            value = pick([eps, eps.nextUp, eps.nextDown, dtype.round(eps * (1 + dtype.unitRoundoff * 2)), 0])
        case 6:
            value = Double(sign: .plus, exponent: Int(Int8(bitPattern: byte())), significand: 1 + Double(byte()) / 256)
        default:
            value = Double(byte()) / 4
        }
        if positive && selector & 0x80 == 0 { value = abs(value) }
        if !positive && selector & 0x80 != 0 { value = -value }
        return dtype.round(value)
    }

    mutating func eps() -> Double {
        switch index(6) {
        case 0: return Double(bitPattern: uint64())
        case 1:
            return pick([
                0, -0.0, -1, 1e-300, .leastNonzeroMagnitude, 1e300, .infinity, .nan, 1e-3, 1, 0.5, 1e-8,
                Double(Float16.leastNonzeroMagnitude),
                Double(Float.leastNonzeroMagnitude), 1e-6.nextUp, 1e-6.nextDown,
            ])
        default: return LossCase.defaultEps
        }
    }

    mutating func reduction() -> String {
        pick(["mean", "sum", "none", "mean", "sum", "none", "MEAN", "", "avg"])
    }
}
