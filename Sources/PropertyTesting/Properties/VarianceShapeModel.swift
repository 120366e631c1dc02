internal import GaussianNLL

/// The shape var takes part in the loss with, written on input's shape: `input.shape[:-1]` unsqueezed at -1;
/// in torch 1.8 a var of N elements is one value per sample. `nil` when var does not broadcast that way.
///
/// This is the properties' own model, written independently of the reference's rule
/// (`Profile.effectiveVarianceShape` in GaussianNLL) on purpose: the broadcast properties expand var by this
/// shape and compare the reference (or a candidate) with the expanded call, so sharing the reference's code
/// would let one mistake pass both sides. It also describes torch-1.8's per-sample forms, which the reference
/// handles through its `(N, -1)` views instead. Whether a shape is accepted at all is the profile's rule
/// (`Profile.acceptsVarianceShape`); this only says how an accepted var lines up with input.
func effectiveVarianceShape(_ variance: Shape, input: Shape, profile: Profile) -> Shape? {
    if profile.sumsPerSample {
        guard let rows = input.dims.first, rows > 0 else { return nil }
        if variance.count == input.count { return input }
        if variance.count == rows { return Shape([rows] + Array(repeating: 1, count: input.rank - 1)) }
        return nil
    }
    if variance == input { return input }
    if input.rank >= 1 && variance == input.droppingLast { return variance.appendingUnitAxis }
    if variance.rank == input.rank,
        case .success(let shape) = Shape.broadcast(variance, input), shape == input
    {
        return variance
    }
    return nil
}

/// 0.5·log(2π), the constant `full` adds, as the Python float `0.5 * math.log(2 * math.pi)`.
let halfLogTwoPi = 0.918_938_533_204_672_7
