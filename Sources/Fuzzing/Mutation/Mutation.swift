/// One kind of change the fuzzer makes to a case.
public enum Mutation: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// An element set to the dtype's largest finite value, its smallest normal one, or near them.
    case extremeExponent = "extreme-exponent"
    /// An element set to a subnormal of its dtype.
    case subnormal
    /// An element set to a NaN with a random payload and sign.
    case nanPayload = "nan-payload"
    /// An element set to +0.0 or −0.0.
    case signedZero = "signed-zero"
    /// An element set to +inf or −inf.
    case infinity
    /// An element set to eps in var's dtype, or just above or below it.
    case aroundEps = "around-eps"
    /// One bit of an element's pattern in its dtype flipped.
    case bitFlip = "bit-flip"
    /// An element scaled by a power of two.
    case scale
    /// An element set to a plain value.
    case plainValue = "plain-value"
    /// One of input's extents set to 0, 1 or a small size; target and var keep their forms.
    case extent
    /// An axis added to input or removed; target and var keep their forms.
    case rank
    /// var's form changed: input's shape, `shape[:-1]`, unsqueezed, broadcasting, 0-d, a Python float, other.
    case varianceForm = "var-form"
    /// target's form changed: input's shape, broadcasting, a suffix, 0-d, other.
    case targetForm = "target-form"
    /// One operand's dtype changed, or all operands given one dtype.
    case dtype
    /// The reduction changed, to a valid name or an invalid one.
    case reduction
    /// eps changed: 0, −0.0, negative, tiny, huge, or next to a var value.
    case eps
    /// `full` toggled.
    case full
    /// Gradients asked for or not.
    case gradients

    public var description: String { rawValue }

    /// The mutations that change one element's value.
    public static let valueMutations: [Mutation] = [
        .extremeExponent, .subnormal, .nanPayload, .signedZero, .infinity, .aroundEps, .bitFlip, .scale, .plainValue,
    ]
}
