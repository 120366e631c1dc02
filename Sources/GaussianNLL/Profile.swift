/// A PyTorch release line with one behaviour of `gaussian_nll_loss`.
///
/// Each profile was measured from that release's `torch/nn/functional.py` and, where a wheel exists
/// for this project's Python, by running it. CONFORMANCE.md sets them side by side.
public enum Profile: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// 1.8.x: per-sample sums over `(N, -1)` views; input and target must have the same size.
    case torch1_8 = "torch-1.8"
    /// 1.9 to 2.5: element-wise loss; var matches input, or input.shape[:-1], or that plus a final 1.
    case torch1_9 = "torch-1.9"
    /// 2.6 to 2.9: a Python float var is accepted; the negative check runs first.
    case torch2_6 = "torch-2.6"
    /// 2.10 to 2.15: a same-rank var passes when its sizes where it differs from input sum to exactly 1.
    case torch2_10 = "torch-2.10"

    /// The profile of the current PyTorch release, the default everywhere.
    public static let current = Profile.torch2_10

    public var description: String { rawValue }

    /// The PyTorch releases that behave this way.
    public var releases: String {
        switch self {
        case .torch1_8: "1.8.x"
        case .torch1_9: "1.9 to 2.5"
        case .torch2_6: "2.6 to 2.9"
        case .torch2_10: "2.10 to 2.15"
        }
    }

    /// The profile of a PyTorch version such as "2.9.1" or "2.15.0+cpu"; `nil` when it cannot be parsed
    /// or predates 1.8, which had no `gaussian_nll_loss`.
    public init?(torchVersion: String) {
        let numbers = torchVersion.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        switch (numbers[0], numbers[1]) {
        case (1, 8): self = .torch1_8
        case (1, 9...), (2, 0...5): self = .torch1_9
        case (2, 6...9): self = .torch2_6
        case (2, 10...), (3..., _): self = .torch2_10
        default: return nil
        }
    }

    /// Whether a Python float var is accepted.
    public var acceptsScalarVariance: Bool { self == .torch2_6 || self == .torch2_10 }

    /// Whether `clamp_(min=nan)` makes every element NaN (torch 2.10 and later) rather than leaving it
    /// as it is (measured: 2.9.1 and 2.1.2 leave var unclamped).
    public var clampPropagatesNaNFloor: Bool { self == .torch2_10 }

    /// Whether forward mode keeps var's tangent where var equals eps, as the reference evaluates it: the clamp's
    /// forward derivative passes var's tangent where `var >= eps` up to torch 2.13 and where `var > eps` from 2.14
    /// on (measured on 2.1.2, 2.9.1, 2.12.1, 2.13.0, 2.14.1 and 2.15.0; torch-1.8 is taken as torch-1.9). The
    /// reference follows the newest release of the profile, 2.15.0 for torch-2.10.
    public var forwardTangentPassesAtEps: Bool { self != .torch2_10 }

    /// Whether the profile's releases differ on ``forwardTangentPassesAtEps``: torch-2.10 spans 2.10 to 2.13, which
    /// keep var's tangent at eps, and 2.14 on, which drop it. The oracle accepts both there.
    public var forwardTangentAtEpsVaries: Bool { self == .torch2_10 }

    /// Whether the loss is summed per sample, so that 'none' gives shape (N,).
    public var sumsPerSample: Bool { self == .torch1_8 }

    /// Whether a tensor var of this shape passes the profile's size check for this input shape
    /// (before broadcasting, which can still fail in torch-2.10).
    public func acceptsVarianceShape(_ variance: Shape, input: Shape) -> Bool {
        effectiveVarianceShape(variance, input: input) != nil
    }

    /// The shape var takes part in the loss with, or `nil` when the size check rejects it.
    ///
    /// torch-1.8 is handled by its `(N, -1)` views and is not described here.
    func effectiveVarianceShape(_ variance: Shape, input: Shape) -> Shape? {
        if variance == input { return variance }
        if input.droppingLast == variance { return variance.appendingUnitAxis }
        switch self {
        case .torch1_8:
            return nil
        case .torch1_9, .torch2_6:
            if input.droppingLast == variance.droppingLast && variance.dims.last == 1 { return variance }
            return nil
        case .torch2_10:
            guard input.rank == variance.rank else { return nil }
            let mismatched = zip(input.dims, variance.dims).filter { $0 != $1 }.map(\.1)
            // Python sums the mismatched sizes; a sum that overflows cannot be 1.
            var sum = 0
            for extent in mismatched {
                let (next, overflow) = sum.addingReportingOverflow(extent)
                if overflow { return nil }
                sum = next
            }
            return sum == 1 ? variance : nil
        }
    }
}
