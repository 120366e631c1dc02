public import GaussianNLL

/// A plausible wrong implementation of `gaussian_nll_loss`, for mutation analysis of the suite.
///
/// Each mutant is what someone porting the loss in a hurry might write: to another framework, in another
/// precision, on other hardware, or from an older release's source. Most are built around ``Reference``:
/// they change the call, the profile, or the outputs. The suite must reject every mutant under every profile
/// in ``profiles`` (where the mutant behaves differently from PyTorch); a mutant that survives marks a hole.
public enum Mutant: String, CaseIterable, Sendable, CustomStringConvertible {
    case clampDifferentiated = "clamp-differentiated"
    case noVarianceGradient = "no-var-gradient"
    case epsAdded = "eps-added"
    case epsIgnored = "eps-ignored"
    case nanClampedToEps = "nan-clamped-to-eps"
    case backwardUsesUnclampedVariance = "backward-unclamped-var"
    case negativeVarianceClamped = "negative-var-clamped"
    case nanEpsUnclamped = "nan-eps-unclamped"
    case infiniteEpsUnclamped = "inf-eps-unclamped"
    case nanVarianceRejected = "nan-var-rejected"
    case negativeZeroRejected = "negative-zero-rejected"
    case oldErrorOrder = "old-error-order"
    case newErrorOrder = "new-error-order"
    case missingSameRankRule = "missing-same-rank-rule"
    case sameRankRuleBackported = "same-rank-rule-backported"
    case numpyBroadcastVariance = "numpy-broadcast-var"
    case varianceReshaped = "var-reshaped"
    case zeroDimensionalVarianceBroadcast = "zero-dim-var-broadcast"
    case exactShapesOnly = "exact-shapes-only"
    case meanOverInputCount = "mean-over-input-count"
    case meanGradientNotDivided = "mean-gradient-not-divided"
    case sumGradientDivided = "sum-gradient-divided"
    case emptyMeanZero = "empty-mean-zero"
    case invalidReductionAsMean = "invalid-reduction-as-mean"
    case reductionCaseInsensitive = "reduction-case-insensitive"
    case fullLogTwoPi = "full-log-two-pi"
    case fullOnceOnSum = "full-once-on-sum"
    case missingHalfFactor = "missing-half-factor"
    case gradTargetNotNegated = "grad-target-not-negated"
    case gradOutputIgnored = "grad-output-ignored"
    case broadcastVarianceGradientAveraged = "broadcast-var-gradient-averaged"
    case broadcastTargetGradientAveraged = "broadcast-target-gradient-averaged"
    case missingLogGradient = "missing-log-gradient"
    case inputGradientDoubledWithoutTargetGrad = "input-gradient-doubled-without-target-grad"
    case gradientsForEveryOperand = "gradients-for-every-operand"
    case targetGradientSummedThenNegated = "target-gradient-summed-then-negated"
    case scalarVarianceRejected = "scalar-var-rejected"
    case scalarVarianceGradient = "scalar-var-gradient"
    case halfNaiveSum = "half-naive-sum"
    case float64InFloat32 = "float64-in-float32"
    case bfloat16InFloat16 = "bfloat16-in-float16"
    case lossDTypeIgnoresVariance = "loss-dtype-ignores-var"
    case zeroDimensionalPromotionIgnored = "zero-dim-promotion-ignored"
    case integerVarianceAccepted = "integer-var-accepted"
    case integerDifferenceInFloat = "integer-difference-in-float"
    case elementwiseNoneIn1_8 = "elementwise-none-torch-1.8"
    case targetBroadcastIn1_8 = "target-broadcast-torch-1.8"
    case hvpClampDifferentiated = "hvp-clamp-differentiated"
    case hessianCrossTermDropped = "hessian-cross-term-dropped"
    case zeroHessian = "zero-hessian"
    case jvpIgnoresVarianceTangent = "jvp-ignores-var-tangent"
    case forwardClampTestStrict = "forward-clamp-test-strict"

    public var description: String { rawValue }

    /// What the mutant does wrong, in one line.
    public var summary: String {
        switch self {
        case .clampDifferentiated:
            "clamps with maximum(var, eps) and differentiates it, so var below eps gets gradient 0 (as MLX does)"
        case .noVarianceGradient:
            "clamps out of place under no_grad, so var gets no gradient at all (as PaddlePaddle does)"
        case .epsAdded:
            "adds eps to var instead of clamping it"
        case .epsIgnored:
            "ignores the eps argument and always clamps at 1e-6"
        case .nanClampedToEps:
            "clamps with fmax, which turns a NaN var into eps"
        case .backwardUsesUnclampedVariance:
            "a hand-written backward that uses the unclamped var"
        case .negativeVarianceClamped:
            "clamps before the negative check, so negative var entries become eps instead of an error"
        case .nanEpsUnclamped:
            "torch 2.9's rule for eps = NaN under torch 2.10: var is left unclamped instead of every element NaN"
        case .infiniteEpsUnclamped:
            "treats eps = +inf as no clamp (an `isfinite(eps)` guard) instead of raising every var entry to +inf"
        case .nanVarianceRejected:
            "checks `!(var >= 0)`, so a NaN var is rejected as negative"
        case .negativeZeroRejected:
            "checks the sign bit, so a −0.0 var is rejected as negative"
        case .oldErrorOrder:
            "torch 1.9's order (size, reduction, then negative) under a profile that checks negative var first"
        case .newErrorOrder:
            "torch 2.6's order (negative var first) under an older profile"
        case .missingSameRankRule:
            "torch 2.6's var-shape rule under torch 2.10: the same-rank form (1, 4) for (3, 4) is rejected"
        case .sameRankRuleBackported:
            "torch 2.10's same-rank var rule under torch 2.6"
        case .numpyBroadcastVariance:
            "broadcasts a var of shape input.shape[:-1] NumPy-style: per column on square inputs, an error otherwise"
        case .varianceReshaped:
            "reshapes a var with as many elements as input (or one per row) instead of rejecting its shape"
        case .zeroDimensionalVarianceBroadcast:
            "treats a 0-d var as a scalar that broadcasts to any input"
        case .exactShapesOnly:
            "requires var and target to have input's shape exactly (as MLX does)"
        case .meanOverInputCount:
            "'mean' divides by input's element count instead of the broadcast loss's"
        case .meanGradientNotDivided:
            "the gradient under 'mean' is not divided by the element count"
        case .sumGradientDivided:
            "the gradient under 'sum' is divided by the element count"
        case .emptyMeanZero:
            "'mean' of an empty loss is 0 (a guarded division) instead of NaN"
        case .invalidReductionAsMean:
            "an invalid reduction string falls back to 'mean'"
        case .reductionCaseInsensitive:
            "accepts reduction strings in any case and with spaces ('MEAN', ' sum')"
        case .fullLogTwoPi:
            "full adds log(2π) instead of 0.5·log(2π) per element"
        case .fullOnceOnSum:
            "full adds the constant once to the 'sum' instead of once per element"
        case .missingHalfFactor:
            "drops the 0.5 factor: log(var) + d²/var"
        case .gradTargetNotNegated:
            "grad_target = +grad_input: the sign of the subtraction's backward is lost"
        case .gradOutputIgnored:
            "the backward pass ignores grad_output (uses ones)"
        case .broadcastVarianceGradientAveraged:
            "a broadcast var's gradient is averaged over the elements that read it instead of summed"
        case .broadcastTargetGradientAveraged:
            "a broadcast target's gradient is averaged over the elements that read it instead of summed"
        case .missingLogGradient:
            "the gradient of the log(var) term is missing from grad_var"
        case .inputGradientDoubledWithoutTargetGrad:
            "a fast path for a target that does not require grad forgets the factor 0.5: input's gradient is doubled"
        case .gradientsForEveryOperand:
            "returns the gradient of every floating operand, also of those that do not require grad"
        case .targetGradientSummedThenNegated:
            "sums a broadcast target's gradient, then negates it, so an exactly cancelling sum is −0.0, not +0.0"
        case .scalarVarianceRejected:
            "rejects a Python-float var (as torch before 2.6 does) under a profile that accepts it"
        case .scalarVarianceGradient:
            "returns a gradient for a Python-float var"
        case .halfNaiveSum:
            "accumulates float16 and bfloat16 reductions left to right in the 16-bit type"
        case .float64InFloat32:
            "computes float64 calls in float32 (hardware without float64)"
        case .bfloat16InFloat16:
            "computes bfloat16 calls in float16 (hardware without bfloat16)"
        case .lossDTypeIgnoresVariance:
            "the loss takes the dtype of input − target, ignoring var's dtype"
        case .zeroDimensionalPromotionIgnored:
            "promotes all operands alike, ignoring that 0-d operands count less"
        case .integerVarianceAccepted:
            "accepts an integer or bool var and computes with it as float32, instead of failing at the clamp"
        case .integerDifferenceInFloat:
            "subtracts and squares integer input and target in var's floating dtype, without the integer wraparound"
        case .elementwiseNoneIn1_8:
            "torch 1.8's 'none' returns the element-wise loss instead of the per-sample sums"
        case .targetBroadcastIn1_8:
            "torch 1.8 accepts a broadcasting target instead of requiring input's size"
        case .hvpClampDifferentiated:
            "differentiates the clamp at second order only: below eps, var's tangent is dropped from the "
                + "Hessian-vector product and var's part of it is 0 (the gradients are right)"
        case .hessianCrossTermDropped:
            "drops the mixed second derivatives of var with input and target: hvp_input and hvp_target ignore var's "
                + "tangent, hvp_var ignores theirs"
        case .zeroHessian:
            "supports grad but returns zeros for the Hessian-vector product (grad of grad)"
        case .jvpIgnoresVarianceTangent:
            "the forward-mode derivative ignores var's tangent"
        case .forwardClampTestStrict:
            "torch 2.14's forward clamp test (var > eps) under an older profile: var = eps loses its tangent in jvp"
        }
    }

    /// The profiles under which the mutant differs from PyTorch.
    public var profiles: [Profile] {
        let all = Profile.allCases
        let elementwise: [Profile] = [.torch1_9, .torch2_6, .torch2_10]
        switch self {
        case .oldErrorOrder, .scalarVarianceRejected, .scalarVarianceGradient: return [.torch2_6, .torch2_10]
        case .newErrorOrder: return [.torch1_8, .torch1_9]
        case .missingSameRankRule, .nanEpsUnclamped: return [.torch2_10]
        case .forwardClampTestStrict: return [.torch1_8, .torch1_9, .torch2_6]
        case .sameRankRuleBackported: return [.torch2_6]
        case .numpyBroadcastVariance, .varianceReshaped, .zeroDimensionalVarianceBroadcast,
            .broadcastTargetGradientAveraged, .targetGradientSummedThenNegated:
            return elementwise
        case .elementwiseNoneIn1_8, .targetBroadcastIn1_8: return [.torch1_8]
        // torch-1.8's loss has one element per sample, and its (N, -1) views are never 0-d.
        case .emptyMeanZero, .zeroDimensionalPromotionIgnored: return elementwise
        default: return all
        }
    }
}

/// A mutant as a candidate, in this process: it claims every dtype and feature, like the reference.
public struct MutantCandidate: Candidate {
    public let mutant: Mutant
    public let info: CandidateInfo

    /// The mutant under a profile; its name is `gnll-mutant-NAME`.
    public init(_ mutant: Mutant, profile: Profile = .current) {
        self.mutant = mutant
        info = CandidateInfo(
            name: "gnll-mutant-\(mutant.rawValue)", version: "1", profile: profile, dtypes: DType.allCases,
            features: CandidateFeature.allCases)
    }

    public func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        calls.map { .outcome(mutant.evaluate($0, profile: info.profile)) }
    }
}
