/// A call that passed the profile's checks: the shapes and dtypes every evaluation works with.
///
/// Resolving a layout runs PyTorch's checks in the profile's order, so the first rule a call breaks
/// is the one reported, with PyTorch's exception type and message.
struct CallLayout: Sendable {
    var profile: Profile
    var reduction: Reduction
    /// input and target as the element-wise loss sees them (torch-1.8: their `(N, -1)` views).
    var inputShape: Shape
    var targetShape: Shape
    /// var as the element-wise loss sees it: unsqueezed, viewed, or input's shape for a scalar.
    var varianceShape: Shape
    /// The broadcast of input and target: the shape of `input - target`.
    var differenceShape: Shape
    /// The broadcast of the difference and var: the shape of the element-wise loss.
    var elementShape: Shape
    /// The shape of the 'none' loss: `elementShape`, or `(N,)` in torch-1.8.
    var unreducedShape: Shape
    /// torch-1.8's D: how many element-wise terms make up each per-sample loss; 1 otherwise.
    var rowWidth: Int
    var elementCount: Int

    var inputType: DType
    var targetType: DType
    var varianceType: DType
    /// The dtype of `input - target`.
    var differenceType: DType
    /// The dtype of the loss.
    var resultType: DType
    /// var's elements (before the clamp); for a scalar var, `var * ones_like(input)`.
    var varianceValues: [Double]
    /// When input and target are both of integer dtypes: `(input - target) ** 2` as PyTorch forms it, in the
    /// integer type of the difference with two's complement wraparound, then converted to ``resultType`` for the
    /// division (its shape is `differenceShape`); `nil` otherwise. ``differenceType`` is then ``resultType``:
    /// no floating difference exists.
    var integerSquares: [Double]?
    /// Whether var is a tensor, and so gets a gradient.
    var varianceIsTensor: Bool

    /// The most elements the element-wise loss may have; larger calls are refused as unsupported
    /// rather than allocated.
    static let elementLimit = 1 << 26

    /// Runs the profile's checks and, when they pass, the broadcasting that PyTorch's arithmetic does.
    static func resolve(_ call: LossCase, profile: Profile) -> Result<CallLayout, Rejection> {
        let reduction = Reduction(rawValue: call.reduction)
        switch profile {
        case .torch1_8:
            return resolvePerSample(call, reduction: reduction)
        case .torch1_9:
            guard let variance = call.variance.tensor else { return .failure(.floatHasNoAttribute("size")) }
            guard let shape = profile.effectiveVarianceShape(variance.shape, input: call.input.shape) else {
                return .failure(.varSize)
            }
            guard let reduction else { return .failure(.invalidReduction(call.reduction)) }
            guard !call.variance.hasNegativeEntry else { return .failure(.negativeVar) }
            if let rejection = clampError(call, profile: profile) { return .failure(rejection) }
            return resolveElementwise(call, varianceShape: shape, reduction: reduction, profile: profile)
        case .torch2_6, .torch2_10:
            guard !call.variance.hasNegativeEntry else { return .failure(.negativeVar) }
            var shape = call.input.shape
            if let variance = call.variance.tensor {
                guard let accepted = profile.effectiveVarianceShape(variance.shape, input: call.input.shape) else {
                    return .failure(.varSize)
                }
                shape = accepted
            }
            guard let reduction else { return .failure(.invalidReduction(call.reduction)) }
            if let rejection = clampError(call, profile: profile) { return .failure(rejection) }
            return resolveElementwise(call, varianceShape: shape, reduction: reduction, profile: profile)
        }
    }

    /// The dtype var has when the clamp runs: its own, or for a Python float `var * ones_like(input)`'s, which is
    /// input's when input is floating and the default dtype, float32, otherwise.
    static func varianceType(of call: LossCase) -> DType {
        if let tensor = call.variance.tensor { return tensor.dtype }
        return call.input.dtype.isFloatingPoint ? call.input.dtype : .float32
    }

    /// What `var.clone().clamp_(min=eps)` raises: for an integer or bool var, that the float result cannot be
    /// written back; otherwise an eps beyond var's dtype (``clampOverflow(_:profile:)``).
    private static func clampError(_ call: LossCase, profile: Profile) -> Rejection? {
        let type = varianceType(of: call)
        if !type.isFloatingPoint { return .clampResultType(type, profile: profile) }
        return clampOverflow(call, profile: profile)
    }

    /// `clamp_(min=eps)` converts eps to var's dtype with c10's overflow check: a finite eps beyond the dtype's
    /// largest finite value raises (an infinite one does not). It runs after every argument check and before
    /// the arithmetic, so before any broadcast error.
    private static func clampOverflow(_ call: LossCase, profile: Profile) -> Rejection? {
        let type = varianceType(of: call)
        guard call.eps.isFinite, abs(call.eps) > type.greatestFiniteMagnitude else { return nil }
        let name: String
        switch type {
        case .float16: name = profile == .torch2_10 ? "c10::Half" : "at::Half"
        case .bfloat16: name = profile == .torch2_10 ? "c10::BFloat16" : "at::BFloat16"
        case .float32: name = "float"
        case .float64: name = "double"
        case .int32, .int64, .bool: return nil
        }
        return Rejection(
            kind: .type, exceptionType: "RuntimeError",
            message: "value cannot be converted to type \(name) without overflow")
    }

    private static func resolveElementwise(
        _ call: LossCase, varianceShape: Shape, reduction: Reduction, profile: Profile
    ) -> Result<CallLayout, Rejection> {
        if let rejection = subtractionError(call, profile: profile) { return .failure(rejection) }
        let difference: Shape
        switch Shape.broadcast(call.input.shape, call.target.shape) {
        case .success(let shape): difference = shape
        case .failure(let mismatch): return .failure(.broadcast(mismatch))
        }
        let elements: Shape
        switch Shape.broadcast(difference, varianceShape) {
        case .success(let shape): elements = shape
        case .failure(let mismatch): return .failure(.broadcast(mismatch))
        }
        return make(
            call, profile: profile, reduction: reduction, inputShape: call.input.shape,
            targetShape: call.target.shape, varianceShape: varianceShape, differenceShape: difference,
            elementShape: elements, unreducedShape: elements, rowWidth: 1)
    }

    /// torch-1.8: input, target and var are viewed as `(N, -1)`; the loss is summed per sample.
    private static func resolvePerSample(_ call: LossCase, reduction: Reduction?) -> Result<CallLayout, Rejection> {
        let input: Shape
        let target: Shape
        switch (rowView(call.input.shape), rowView(call.target.shape)) {
        case (.failure(let rejection), _), (_, .failure(let rejection)): return .failure(rejection)
        case (.success(let inputView), .success(let targetView)):
            input = inputView
            target = targetView
        }
        guard input == target else { return .failure(.targetSize) }
        guard let variance = call.variance.tensor else { return .failure(.floatHasNoAttribute("view")) }
        let rows = input.dims[0]
        let varianceCount = variance.elementCount
        guard varianceCount % rows == 0 else {
            return .failure(
                Rejection(
                    kind: .varSize, exceptionType: "RuntimeError",
                    message: "shape '[\(rows), -1]' is invalid for input of size \(varianceCount)"))
        }
        let varianceView: Shape = [rows, varianceCount / rows]
        guard varianceView.dims[1] == input.dims[1] || varianceView.dims[1] == 1 else { return .failure(.varSize) }
        guard let reduction else { return .failure(.invalidReduction(call.reduction)) }
        guard !call.variance.hasNegativeEntry else { return .failure(.negativeVar) }
        if let rejection = clampError(call, profile: .torch1_8) { return .failure(rejection) }
        if let rejection = subtractionError(call, profile: .torch1_8) { return .failure(rejection) }
        return make(
            call, profile: .torch1_8, reduction: reduction, inputShape: input, targetShape: target,
            varianceShape: varianceView, differenceShape: input, elementShape: input, unreducedShape: [rows],
            rowWidth: input.dims[1])
    }

    /// `input - target` refuses a bool operand before it broadcasts.
    private static func subtractionError(_ call: LossCase, profile: Profile) -> Rejection? {
        switch (call.input.dtype == .bool, call.target.dtype == .bool) {
        case (true, true): .boolSubtraction(both: true, profile: profile)
        case (true, false), (false, true): .boolSubtraction(both: false, profile: profile)
        case (false, false): nil
        }
    }

    /// `t.view(t.size(0), -1)`, with the errors PyTorch raises for a 0-d or an empty first dimension.
    private static func rowView(_ shape: Shape) -> Result<Shape, Rejection> {
        guard let rows = shape.dims.first else {
            return .failure(
                Rejection(
                    kind: .targetSize, exceptionType: "IndexError",
                    message: "dimension specified as 0 but tensor has no dimensions"))
        }
        let count = (try? shape.elementCount()) ?? 0
        guard rows > 0 else {
            return .failure(
                Rejection(
                    kind: .targetSize, exceptionType: "RuntimeError",
                    message: "cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified "
                        + "dimension size -1 can be any value and is ambiguous"))
        }
        return .success([rows, count / rows])
    }

    private static func make(
        _ call: LossCase, profile: Profile, reduction: Reduction, inputShape: Shape, targetShape: Shape,
        varianceShape: Shape, differenceShape: Shape, elementShape: Shape, unreducedShape: Shape, rowWidth: Int
    ) -> Result<CallLayout, Rejection> {
        guard let count = try? elementShape.elementCount(), count <= elementLimit,
            let unreducedCount = try? unreducedShape.elementCount(), unreducedCount <= elementLimit
        else {
            return .failure(
                Rejection(
                    kind: .unsupported, exceptionType: "ResourceLimit",
                    message: "the loss would have shape \(elementShape) (\(unreducedShape) unreduced), more than "
                        + "\(elementLimit) elements"))
        }
        let inputType = call.input.dtype
        let targetType = call.target.dtype
        let varianceType: DType
        let varianceValues: [Double]
        switch call.variance {
        case .tensor(let tensor):
            varianceType = tensor.dtype
            varianceValues = tensor.values
        case .scalar(let value):
            // `var * torch.ones_like(input)`: the float is rounded to input's dtype (float32 for an integral input).
            varianceType = Self.varianceType(of: call)
            varianceValues = [Double](repeating: varianceType.round(value), count: call.input.elementCount)
        }
        // Promotion counts 0-d operands less, so it follows each operation's operands: input - target,
        // then (…) / var; log(var) + (…) gives the same dtype as the division.
        var differenceType = DType.promote(
            inputType, zeroDimensional: inputShape.rank == 0, targetType, zeroDimensional: targetShape.rank == 0)
        let resultType = DType.promote(
            differenceType, zeroDimensional: differenceShape.rank == 0, varianceType,
            zeroDimensional: varianceShape.rank == 0)
        var integerSquares: [Double]?
        if !differenceType.isFloatingPoint {
            integerSquares = squares(
                call, inputShape: inputShape, targetShape: targetShape, differenceShape: differenceShape,
                integerType: differenceType, resultType: resultType)
            differenceType = resultType
        }
        return .success(
            CallLayout(
                profile: profile, reduction: reduction, inputShape: inputShape, targetShape: targetShape,
                varianceShape: varianceShape, differenceShape: differenceShape, elementShape: elementShape,
                unreducedShape: unreducedShape, rowWidth: rowWidth, elementCount: count, inputType: inputType,
                targetType: targetType, varianceType: varianceType, differenceType: differenceType,
                resultType: resultType, varianceValues: varianceValues, integerSquares: integerSquares,
                varianceIsTensor: call.variance.tensor != nil))
    }

    /// `(input - target) ** 2` of two integral operands, each converted to the difference's integer type, with
    /// two's complement wraparound in that type, then converted to the result's dtype.
    private static func squares(
        _ call: LossCase, inputShape: Shape, targetShape: Shape, differenceShape: Shape, integerType: DType,
        resultType: DType
    ) -> [Double] {
        let count = (try? differenceShape.elementCount()) ?? 0
        let inputIndex = BroadcastIndex(operand: inputShape, result: differenceShape, resultCount: count)
        let targetIndex = BroadcastIndex(operand: targetShape, result: differenceShape, resultCount: count)
        let wrap: (Int64) -> Int64 =
            integerType == .int32 ? { Int64(Int32(truncatingIfNeeded: $0)) } : { $0 }
        let input = call.input.values.map { wrap(Int64($0)) }
        let target = call.target.values.map { wrap(Int64($0)) }
        return (0..<count).map { position in
            let difference = wrap(input[inputIndex[position]] &- target[targetIndex[position]])
            return resultType.convert(integer: wrap(difference &* difference))
        }
    }

    /// The dtype the divisions read var in: the result's, but a 0-d var that lost the promotion is PyTorch's
    /// CPU "scalar" divisor, read in the compute type without rounding to the result's dtype (a float64 var
    /// of 1e-6 divides float16 as 1e-6, not as float16's 1.013e-6).
    var divisorType: DType {
        varianceShape.rank == 0 && varianceType != resultType ? resultType.computeType : resultType
    }

    /// Where each loss element reads the difference `input − target`.
    var differenceIndex: BroadcastIndex {
        BroadcastIndex(operand: differenceShape, result: elementShape, resultCount: elementCount)
    }

    /// Where each element of `input − target` reads input.
    var inputIndex: BroadcastIndex {
        BroadcastIndex(operand: inputShape, result: differenceShape, resultCount: differenceCount)
    }

    /// Where each element of `input − target` reads target.
    var targetIndex: BroadcastIndex {
        BroadcastIndex(operand: targetShape, result: differenceShape, resultCount: differenceCount)
    }

    /// How many elements `input − target` has.
    var differenceCount: Int { (try? differenceShape.elementCount()) ?? 0 }

    /// Where each loss element reads var.
    var varianceIndex: BroadcastIndex {
        BroadcastIndex(operand: varianceShape, result: elementShape, resultCount: elementCount)
    }

    /// `x / var` in the result's dtype, with var read in ``divisorType``.
    var divideByVariance: (Double, Double) -> Double {
        let type = resultType
        if divisorType != type { return { type.divideScalar($0, $1) } }
        return { type.divide($0, $1) }
    }

    /// The clamped variance value: `v < eps ? eps : v` in var's dtype, where NaN stays NaN. A NaN eps
    /// gives NaN from torch 2.10 on and leaves var unclamped before (measured on 2.15.0, 2.9.1, 2.1.2).
    func clamp(_ value: Double, floor: Double) -> Double {
        if floor.isNaN { return profile.clampPropagatesNaNFloor ? .nan : value }
        return value < floor ? floor : value
    }
}

/// Maps each element of a broadcast result to the element of an operand it reads.
package struct BroadcastIndex: Sendable {
    /// Operand offsets for each result element, or `nil` when the operand has the result's shape.
    package let offsets: [Int]?

    /// The map for `resultCount` elements of `result` (its element count) reading an operand of shape `operand`,
    /// which broadcasts to `result` (NumPy alignment from the right).
    package init(operand: Shape, result: Shape, resultCount: Int) {
        if operand.dims == result.dims {
            offsets = nil
            return
        }
        let lead = result.rank - operand.rank
        let operandStrides = operand.contiguousStrides
        var strides = [Int](repeating: 0, count: result.rank)
        for axis in 0..<operand.rank where operand.dims[axis] != 1 {
            strides[lead + axis] = operandStrides[axis]
        }
        var offsets = [Int](repeating: 0, count: resultCount)
        var counter = [Int](repeating: 0, count: result.rank)
        var offset = 0
        for index in 0..<resultCount {
            offsets[index] = offset
            var axis = result.rank - 1
            while axis >= 0 {
                counter[axis] += 1
                offset += strides[axis]
                if counter[axis] < result.dims[axis] { break }
                offset -= strides[axis] * counter[axis]
                counter[axis] = 0
                axis -= 1
            }
        }
        self.offsets = offsets
    }

    /// The operand offset result element `index` reads.
    @inline(__always)
    package subscript(_ index: Int) -> Int { offsets?[index] ?? index }
}
