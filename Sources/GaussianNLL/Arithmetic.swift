#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One operation in a dtype as PyTorch's CPU kernels do it: the operands are cast to the dtype (they can
/// be wider when a 0-d operand lost the promotion), widened to the dtype's compute type (float32 for the
/// 16-bit types), the operation is done there, and the result is rounded to the dtype.
///
/// For +, −, ×, ÷ this equals the correctly rounded operation in the dtype, because float32 carries more
/// than twice the precision of the 16-bit types and double rounding is then innocuous.
extension DType {

    func finish(_ x: Float) -> Double {
        switch self {
        case .float16: Double(Float16(x))
        case .bfloat16: BFloat16Bits.value(BFloat16Bits.make(x))
        case .float32: Double(x)
        case .float64: Double(x)
        // The loss never computes in an integral dtype (the layout converts integral operands first).
        case .int32, .int64, .bool: round(Double(x))
        }
    }

    func add(_ a: Double, _ b: Double) -> Double {
        self == .float64 ? a + b : finish(Float(round(a)) + Float(round(b)))
    }

    func subtract(_ a: Double, _ b: Double) -> Double {
        self == .float64 ? a - b : finish(Float(round(a)) - Float(round(b)))
    }

    func multiply(_ a: Double, _ b: Double) -> Double {
        self == .float64 ? a * b : finish(Float(round(a)) * Float(round(b)))
    }

    func divide(_ a: Double, _ b: Double) -> Double {
        self == .float64 ? a / b : finish(Float(round(a)) / Float(round(b)))
    }

    /// `tensor + scalar` with a Python scalar: the scalar is rounded to the dtype first (measured on
    /// PyTorch 2.15.0: float16 `-30000 + 91893.0` is inf, and `2.771484375 + 0.5·log(2π)` is 3.69140625).
    func addScalar(_ a: Double, _ scalar: Double) -> Double {
        self == .float64 ? a + scalar : finish(Float(round(a)) + Float(round(scalar)))
    }

    /// `tensor * scalar`, `tensor / scalar` with a Python or C++ scalar: the scalar is converted to the
    /// compute type, never rounded to the dtype (a count of 100,000 stays finite in float16 arithmetic).

    func multiplyScalar(_ a: Double, _ scalar: Double) -> Double {
        self == .float64 ? a * scalar : finish(Float(round(a)) * Float(scalar))
    }

    func divideScalar(_ a: Double, _ scalar: Double) -> Double {
        self == .float64 ? a / scalar : finish(Float(round(a)) / Float(scalar))
    }

    func logarithm(_ a: Double) -> Double {
        self == .float64 ? log(a) : finish(logf(Float(a)))
    }

    /// Pairwise summation in the dtype's accumulation type, not rounded to the dtype.
    ///
    /// PyTorch's CPU `sum` accumulates 16-bit types in float32 and sums in cascades; pairwise summation
    /// has the same error growth, O(log n), though not always the same rounding.
    func accumulate(_ values: UnsafeBufferPointer<Double>) -> Double {
        let accumulator = accumulationType
        if values.count <= 8 {
            var total = 0.0
            for value in values { total = accumulator.add(total, value) }
            return total
        }
        let half = values.count / 2
        let low = accumulate(UnsafeBufferPointer(rebasing: values[..<half]))
        let high = accumulate(UnsafeBufferPointer(rebasing: values[half...]))
        return accumulator.add(low, high)
    }

    /// `sum()` of the values: accumulated, then rounded to the dtype.
    func sum(_ values: UnsafeBufferPointer<Double>) -> Double {
        round(accumulate(values))
    }
}

/// Sums the values of a broadcast result back to an operand's shape, as autograd's `sum_to` does:
/// each operand element gets the pairwise sum of the result elements that read it, in `type`.
func sumToOperand(
    _ values: [Double], index: BroadcastIndex, operandCount: Int, type: DType
) -> [Double] {
    guard let offsets = index.offsets else { return values.map(type.round) }
    var starts = [Int](repeating: 0, count: operandCount + 1)
    for offset in offsets { starts[offset + 1] += 1 }
    for position in 0..<operandCount { starts[position + 1] += starts[position] }
    var cursor = starts
    var grouped = [Double](repeating: 0, count: values.count)
    for (position, offset) in offsets.enumerated() {
        grouped[cursor[offset]] = values[position]
        cursor[offset] += 1
    }
    return grouped.withUnsafeBufferPointer { buffer in
        (0..<operandCount).map { operand in
            type.sum(UnsafeBufferPointer(rebasing: buffer[starts[operand]..<starts[operand + 1]]))
        }
    }
}

/// log(2π), as the Python float `math.log(2 * math.pi)`.
let logTwoPi = log(2 * Double.pi)

/// 0.5·log(2π), the constant `full` adds, as the Python float `0.5 * math.log(2 * math.pi)`.
let halfLogTwoPi = 0.5 * logTwoPi
