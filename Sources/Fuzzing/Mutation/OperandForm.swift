public import GaussianNLL

/// How target's or var's shape relates to input's: what a mutation keeps when input's shape changes, and
/// the coarse shape a failure signature records.
public enum OperandForm: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// input's shape.
    case same
    /// `input.shape[:-1]`.
    case droppedLast = "dropped-last"
    /// `input.shape[:-1] + (1,)`.
    case unsqueezed
    /// input's rank, with some extents 1: a broadcasting form.
    case ones
    /// input's trailing extents, at a lower rank.
    case suffix
    /// A 0-d tensor.
    case zeroDimensional = "0-d"
    /// A Python float var.
    case scalar
    /// Any other shape.
    case other

    public var description: String { rawValue }

    /// The form of var in a call.
    public static func of(_ variance: Variance, input: Shape) -> OperandForm {
        guard let tensor = variance.tensor else { return .scalar }
        return of(tensor.shape, input: input)
    }

    /// The form of an operand's shape, checked from the most specific form to the least.
    public static func of(_ shape: Shape, input: Shape) -> OperandForm {
        if shape == input { return .same }
        if shape.rank == 0 { return .zeroDimensional }
        if input.rank >= 1 && shape == input.droppingLast { return .droppedLast }
        if input.rank >= 1 && shape == input.droppingLast.appendingUnitAxis { return .unsqueezed }
        if shape.rank < input.rank && Array(input.dims.suffix(shape.rank)) == shape.dims { return .suffix }
        if shape.rank == input.rank && zip(shape.dims, input.dims).allSatisfy({ $0 == $1 || $0 == 1 }) {
            return .ones
        }
        return .other
    }

    /// A shape of this form for an input shape (for ``scalar``, the 0-d shape that carries its value).
    public func shape(for input: Shape, random: inout SplitMix64) -> Shape {
        switch self {
        case .same: return input
        case .droppedLast: return input.droppingLast
        case .unsqueezed: return input.droppingLast.appendingUnitAxis
        case .zeroDimensional, .scalar: return []
        case .suffix:
            guard input.rank > 0 else { return [] }
            return Shape(Array(input.dims.suffix(random.integer(below: input.rank))))
        case .ones:
            var dims = input.dims
            guard !dims.isEmpty else { return [] }
            dims[random.integer(below: dims.count)] = 1
            for axis in dims.indices where random.chance(1, in: 3) { dims[axis] = 1 }
            return Shape(dims)
        case .other:
            return Shape((0..<random.integer(below: 4)).map { _ in random.element(of: [0, 1, 1, 2, 2, 3, 4]) })
        }
    }
}
