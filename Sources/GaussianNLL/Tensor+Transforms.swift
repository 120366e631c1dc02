/// A tensor from values that match the shape, rounded to the dtype; never traps (a mismatch, which callers
/// rule out, gives a 0-d NaN).
package func makeTensor(_ dtype: DType, _ shape: Shape, _ values: [Double]) -> Tensor {
    (try? Tensor(dtype: dtype, shape: shape, values: values)) ?? Tensor.scalar(.nan, dtype: dtype)
}

extension Tensor {
    /// The same shape and dtype with new values (rounded to the dtype).
    package func with(values: [Double]) -> Tensor {
        makeTensor(dtype, shape, values)
    }

    /// The values transformed, rounded to the dtype.
    package func mapped(_ transform: (Double) -> Double) -> Tensor {
        makeTensor(dtype, shape, values.map(transform))
    }

    /// Element-wise combination with a tensor of the same shape, rounded to this tensor's dtype (`self` when
    /// the element counts differ).
    package func combined(with other: Tensor, _ operation: (Double, Double) -> Double) -> Tensor {
        guard other.values.count == values.count else { return self }
        return makeTensor(dtype, shape, zip(values, other.values).map(operation))
    }
}

extension Gradients {
    /// Every gradient's values transformed, each rounded to its dtype.
    package func mapped(_ transform: (Double) -> Double) -> Gradients {
        Gradients(
            input: input?.mapped(transform), target: target?.mapped(transform), variance: variance?.mapped(transform))
    }
}
