/// The extents of a tensor, outermost first; `[]` is a 0-d tensor.
///
/// Shape arithmetic never traps: an element count that does not fit in `Int`, or a negative
/// extent, is a ``ShapeError``.
public struct Shape: Hashable, Sendable, Codable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The extents, outermost first.
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { dims = elements }

    public var rank: Int { dims.count }

    /// The shape written as PyTorch prints a size, without the `torch.Size` wrapper: `[2, 3]`, `[]`.
    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }

    /// The number of elements; throws when an extent is negative or the product overflows.
    public func elementCount() throws(ShapeError) -> Int {
        var count = 1
        for (axis, extent) in dims.enumerated() {
            guard extent >= 0 else { throw .negativeExtent(shape: dims, axis: axis) }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw .elementCountOverflow(shape: dims) }
            count = product
        }
        return count
    }

    /// All but the last extent (`input.shape[:-1]` in Python); empty for a 0-d shape.
    public var droppingLast: Shape { Shape(Array(dims.dropLast())) }

    /// The shape with a new extent of 1 appended (`unsqueeze(-1)`).
    public var appendingUnitAxis: Shape { Shape(dims + [1]) }

    /// The row-major strides of a contiguous tensor with this shape.
    ///
    /// Only meaningful once ``elementCount()`` has succeeded, so the products cannot overflow.
    public var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        var running = 1
        for axis in dims.indices.reversed() {
            strides[axis] = running
            running &*= Swift.max(dims[axis], 1)
        }
        return strides
    }

    /// NumPy's broadcasting of two shapes, as PyTorch's `infer_size` does it.
    ///
    /// `a` and `b` name the operands in the error, as PyTorch's message does: it scans from the last
    /// dimension and reports the first mismatch, numbering dimensions in the broadcast result.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Result<Shape, BroadcastMismatch> {
        let rank = Swift.max(a.rank, b.rank)
        var result = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            let offset = rank - 1 - axis
            let sizeA = a.rank - 1 - offset >= 0 ? a.dims[a.rank - 1 - offset] : 1
            let sizeB = b.rank - 1 - offset >= 0 ? b.dims[b.rank - 1 - offset] : 1
            guard sizeA == sizeB || sizeA == 1 || sizeB == 1 else {
                return .failure(BroadcastMismatch(sizeA: sizeA, sizeB: sizeB, axis: axis))
            }
            result[axis] = sizeA == 1 ? sizeB : sizeA
        }
        return .success(Shape(result))
    }
}

/// Two shapes that do not broadcast, as PyTorch reports them.
public struct BroadcastMismatch: Error, Hashable, Sendable {
    public var sizeA: Int
    public var sizeB: Int
    /// The dimension of the broadcast result at which the sizes clash.
    public var axis: Int

    /// PyTorch's RuntimeError text.
    public var message: String {
        "The size of tensor a (\(sizeA)) must match the size of tensor b (\(sizeB)) at non-singleton dimension \(axis)"
    }
}

/// A shape that cannot describe a tensor in memory.
public enum ShapeError: Error, Hashable, Sendable, CustomStringConvertible {
    case negativeExtent(shape: [Int], axis: Int)
    case elementCountOverflow(shape: [Int])
    case elementCountMismatch(shape: [Int], expected: Int, actual: Int)
    /// A value given for a tensor of an integer dtype or bool that is not one of its elements.
    case invalidElement(dtype: DType, index: Int, value: Double)

    public var description: String {
        switch self {
        case .negativeExtent(let shape, let axis):
            "shape \(Shape(shape)) has a negative extent at dimension \(axis)"
        case .elementCountOverflow(let shape):
            "shape \(Shape(shape)) has more elements than fit in a 64-bit count"
        case .elementCountMismatch(let shape, let expected, let actual):
            "shape \(Shape(shape)) needs \(expected) elements, but \(actual) were given"
        case .invalidElement(let dtype, let index, let value):
            "element \(index) is \(value), which is not \(dtype.elementDescription)"
        }
    }
}
