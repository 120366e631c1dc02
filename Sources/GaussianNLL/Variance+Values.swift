extension Variance {
    /// The values: the tensor's, or the one float.
    public var values: [Double] {
        switch self {
        case .scalar(let value): [value]
        case .tensor(let tensor): tensor.values
        }
    }

    /// `torch.any(var < 0)`, or `var < 0` for a float: NaN and −0.0 are not negative.
    package var hasNegativeEntry: Bool {
        switch self {
        case .scalar(let value): value < 0
        case .tensor(let tensor): tensor.values.contains { $0 < 0 }
        }
    }

    /// The values transformed (rounded to the tensor's dtype; a float stays a float).
    package func map(_ transform: (Double) -> Double) -> Variance {
        switch self {
        case .scalar(let value): .scalar(transform(value))
        case .tensor(let tensor): .tensor(tensor.mapped(transform))
        }
    }
}
