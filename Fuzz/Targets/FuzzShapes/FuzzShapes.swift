import GaussianNLL

/// Shape arithmetic on arbitrary extents, huge and negative included: `Shape.elementCount`,
/// `Shape.broadcast` and `Profile.acceptsVarianceShape` must never trap, and must agree with an
/// independent computation. Shapes whose element count is small also go through `Reference.evaluate` and
/// `Oracle.evaluate` under every profile, where an impossible size must be a rejection, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var bytes = FuzzBytes(data, size)
    let a = bytes.shape()
    let b = bytes.shape()
    checkElementCount(a)
    checkElementCount(b)
    checkBroadcast(a, b)
    checkVarianceShapes(a, b)
    checkEvaluation(input: a, target: b, bytes: &bytes)
    return 0
}

extension FuzzBytes {
    /// An extent: usually small, sometimes negative, huge or arbitrary.
    mutating func extent() -> Int {
        let selector = byte()
        switch selector % 8 {
        case 0, 1, 2, 3: return Int(selector >> 3) % 5
        case 4:
            return pick([
                Int.max, Int.min, -1, -2, 1 << 31, 1 << 32, 1 << 62, (1 << 62) + 1, Int.max / 2 + 1, 3_037_000_500,
                3_037_000_499, 1 << 21, (1 << 26) + 1,
            ])
        case 5: return Int(truncatingIfNeeded: uint64())
        case 6: return -Int(selector >> 3)
        default: return 1
        }
    }

    mutating func shape() -> Shape {
        let rank = index(7)
        return Shape((0..<rank).map { _ in extent() })
    }
}

/// The element count is exact, or the error names the first problem.
func checkElementCount(_ shape: Shape) {
    var expected: Result<Int, ShapeError> = .success(1)
    var count: UInt = 1
    for (axis, extent) in shape.dims.enumerated() {
        if extent < 0 {
            expected = .failure(.negativeExtent(shape: shape.dims, axis: axis))
            break
        }
        let (high, low) = count.multipliedFullWidth(by: UInt(extent))
        if high != 0 || low > UInt(Int.max) {
            expected = .failure(.elementCountOverflow(shape: shape.dims))
            break
        }
        count = low
        expected = .success(Int(count))
    }
    let actual = Result { () throws(ShapeError) in try shape.elementCount() }
    switch (expected, actual) {
    case (.success(let wanted), .success(let got)):
        require(wanted == got, "elementCount of \(shape) is \(got), expected \(wanted)")
    case (.failure(let wanted), .failure(let got)):
        require(wanted == got, "elementCount of \(shape) throws \(got), expected \(wanted)")
    default:
        fatalError("elementCount of \(shape) gives \(actual), expected \(expected)")
    }
}

/// Broadcasting is symmetric, follows NumPy's rule axis by axis, and reports the last mismatching axis.
func checkBroadcast(_ a: Shape, _ b: Shape) {
    let forward = Shape.broadcast(a, b)
    let backward = Shape.broadcast(b, a)
    let rank = max(a.rank, b.rank)
    func size(_ shape: Shape, _ axis: Int) -> Int {
        let index = axis - (rank - shape.rank)
        return index >= 0 ? shape.dims[index] : 1
    }
    var firstMismatch: Int?
    for axis in stride(from: rank - 1, through: 0, by: -1) {
        let (x, y) = (size(a, axis), size(b, axis))
        if x != y && x != 1 && y != 1 {
            firstMismatch = axis
            break
        }
    }
    switch (forward, backward) {
    case (.success(let shape), .success(let other)):
        require(shape == other, "broadcast(\(a), \(b)) = \(shape) but broadcast(\(b), \(a)) = \(other)")
        require(firstMismatch == nil, "broadcast(\(a), \(b)) succeeds despite a mismatch")
        require(shape.rank == rank, "broadcast(\(a), \(b)) has rank \(shape.rank)")
        for axis in 0..<rank {
            let (x, y) = (size(a, axis), size(b, axis))
            require(shape.dims[axis] == (x == 1 ? y : x), "broadcast(\(a), \(b)) = \(shape) at \(axis)")
        }
    case (.failure(let mismatch), .failure(let other)):
        require(mismatch.axis == firstMismatch, "broadcast(\(a), \(b)) fails at \(mismatch.axis)")
        require(
            other.axis == mismatch.axis && other.sizeA == mismatch.sizeB && other.sizeB == mismatch.sizeA,
            "broadcast(\(b), \(a)) reports \(other), broadcast(\(a), \(b)) \(mismatch)")
        require(
            mismatch.sizeA == size(a, mismatch.axis) && mismatch.sizeB == size(b, mismatch.axis),
            "broadcast(\(a), \(b)) reports \(mismatch)")
        _ = mismatch.message
    default:
        fatalError("broadcast(\(a), \(b)) and broadcast(\(b), \(a)) disagree")
    }
    guard case .success(let same) = Shape.broadcast(a, a), same == a else {
        fatalError("broadcast(\(a), \(a)) is not \(a)")
    }
    guard case .success(let withScalar) = Shape.broadcast(a, []), withScalar == a else {
        fatalError("broadcast(\(a), []) is not \(a)")
    }
}

/// Every profile takes a var of input's shape, and of input.shape[:-1]; nothing traps.
func checkVarianceShapes(_ a: Shape, _ b: Shape) {
    for profile in Profile.allCases {
        _ = profile.acceptsVarianceShape(a, input: b)
        _ = profile.acceptsVarianceShape(b, input: a)
        require(profile.acceptsVarianceShape(a, input: a), "\(profile) refuses var \(a) for input \(a)")
        require(
            profile.acceptsVarianceShape(a.droppingLast, input: a),
            "\(profile) refuses var \(a.droppingLast) for input \(a)")
    }
}

/// The most elements an operand may have to be evaluated here.
let operandLimit = 64
/// The most elements the broadcast of the operands may have to be evaluated here.
let broadcastLimit = 4096

/// Evaluates calls with these shapes (when each operand is small) under every profile: the outcome is a
/// result whose shapes match the values, or a rejection; never a trap.
func checkEvaluation(input: Shape, target: Shape, bytes: inout FuzzBytes) {
    let variance: Shape
    switch bytes.index(6) {
    case 0: variance = input
    case 1: variance = input.droppingLast
    case 2: variance = input.droppingLast.appendingUnitAxis
    case 3: variance = target
    case 4: variance = Shape(input.dims.map { _ in bytes.bool() ? 1 : bytes.extent() })
    default: variance = bytes.shape()
    }
    let scalarVariance = bytes.byte() == 0xFF
    for shape in [input, target, variance] {
        guard let count = try? shape.elementCount(), count <= operandLimit else { return }
    }
    // Skip calls whose broadcast would be large: they are valid, only slow.
    if case .success(let difference) = Shape.broadcast(input, target),
        case .success(let elements) = Shape.broadcast(difference, variance),
        let count = try? elements.elementCount(), count > broadcastLimit
    {
        return
    }
    let dtype = bytes.pick(DType.floatingCases)
    func tensor(_ shape: Shape) -> Tensor {
        let count = (try? shape.elementCount()) ?? 0
        let values = (0..<count).map { index in Double(index % 7) * 0.25 + 0.5 }
        return try! Tensor(dtype: dtype, shape: shape, values: values)
    }
    let reduction = bytes.pick(["none", "mean", "sum", "Sum"])
    var call = LossCase(
        input: tensor(input), target: tensor(target),
        variance: scalarVariance ? .scalar(0.5) : .tensor(tensor(variance)), full: bytes.bool(),
        reduction: reduction)
    for profile in Profile.allCases {
        let outcome = Reference.evaluate(call, profile: profile)
        let exact = Oracle.evaluate(call, profile: profile)
        switch (outcome, exact) {
        case (.success(let result), .success(let loss, _, _)):
            require(result.loss.shape == loss.shape, "\(profile): loss shapes differ for \(call)")
            require(
                result.loss.values.count == (try? result.loss.shape.elementCount())
                    && loss.elements.count == result.loss.values.count,
                "\(profile): loss counts differ for \(call)")
        case (.rejection(let got), .rejection(let wanted)):
            require(got == wanted, "\(profile): rejections differ for \(call)")
        default:
            fatalError("\(profile): reference and oracle disagree on acceptance for \(call)")
        }
        // The backward pass, with a grad_output of the loss's shape.
        guard case .success(let result) = outcome, result.loss.elementCount <= broadcastLimit else { continue }
        call.gradOutput = try! Tensor.filled(1, dtype: result.loss.dtype, shape: result.loss.shape)
        if case .success(let gradResult) = Reference.evaluate(call, profile: profile) {
            require(gradResult.gradients?.input?.shape == input, "\(profile): grad_input shape for \(call)")
            require(gradResult.gradients?.target?.shape == target, "\(profile): grad_target shape for \(call)")
        }
        _ = Oracle.evaluate(call, profile: profile)
        call.gradOutput = nil
    }
}
