public import GaussianNLL

extension Mutant {
    /// The part of the loss a mutant gets wrong. The case order of ``Mutant`` follows these families, and
    /// each family's mutants are evaluated in their own file (`Mutant+Clamp.swift`, …).
    enum Family: CaseIterable {
        /// The eps clamp of var and its gradient.
        case clamp
        /// The negative-var check and the order of the checks.
        case errorOrder
        /// var's shape rule and broadcasting.
        case shapes
        /// The reductions and their gradients.
        case reductions
        /// The `full` constant and the factor 0.5.
        case formula
        /// The backward pass.
        case gradients
        /// A Python-float var.
        case scalarVariance
        /// dtypes: accumulation, computation and promotion.
        case dtypes
        /// torch-1.8's per-sample loss.
        case torch1_8
        /// Second-order and forward-mode derivatives.
        case higherOrder
    }

    /// The family the mutant belongs to.
    var family: Family {
        switch self {
        case .clampDifferentiated, .noVarianceGradient, .epsAdded, .epsIgnored, .nanClampedToEps,
            .backwardUsesUnclampedVariance, .negativeVarianceClamped, .nanEpsUnclamped, .infiniteEpsUnclamped:
            .clamp
        case .nanVarianceRejected, .negativeZeroRejected, .oldErrorOrder, .newErrorOrder:
            .errorOrder
        case .missingSameRankRule, .sameRankRuleBackported, .numpyBroadcastVariance, .varianceReshaped,
            .zeroDimensionalVarianceBroadcast, .exactShapesOnly:
            .shapes
        case .meanOverInputCount, .meanGradientNotDivided, .sumGradientDivided, .emptyMeanZero,
            .invalidReductionAsMean, .reductionCaseInsensitive:
            .reductions
        case .fullLogTwoPi, .fullOnceOnSum, .missingHalfFactor:
            .formula
        case .gradTargetNotNegated, .gradOutputIgnored, .broadcastVarianceGradientAveraged,
            .broadcastTargetGradientAveraged, .missingLogGradient, .inputGradientDoubledWithoutTargetGrad,
            .gradientsForEveryOperand, .targetGradientSummedThenNegated:
            .gradients
        case .scalarVarianceRejected, .scalarVarianceGradient:
            .scalarVariance
        case .halfNaiveSum, .float64InFloat32, .bfloat16InFloat16, .lossDTypeIgnoresVariance,
            .zeroDimensionalPromotionIgnored, .integerVarianceAccepted, .integerDifferenceInFloat:
            .dtypes
        case .elementwiseNoneIn1_8, .targetBroadcastIn1_8:
            .torch1_8
        case .hvpClampDifferentiated, .hessianCrossTermDropped, .zeroHessian, .jvpIgnoresVarianceTangent,
            .forwardClampTestStrict:
            .higherOrder
        }
    }

    /// Evaluates a call the mutant's way under a profile.
    public func evaluate(_ call: LossCase, profile: Profile) -> LossOutcome {
        let reference = Reference.evaluate(call, profile: profile)
        switch family {
        case .clamp: return evaluateClamp(call, profile: profile, reference: reference)
        case .errorOrder: return evaluateErrorOrder(call, profile: profile, reference: reference)
        case .shapes: return evaluateShapes(call, profile: profile, reference: reference)
        case .reductions: return evaluateReductions(call, profile: profile, reference: reference)
        case .formula: return evaluateFormula(call, profile: profile, reference: reference)
        case .gradients: return evaluateGradients(call, profile: profile, reference: reference)
        case .scalarVariance: return evaluateScalarVariance(call, profile: profile, reference: reference)
        case .dtypes: return evaluateDTypes(call, profile: profile, reference: reference)
        case .torch1_8: return evaluateTorch1_8(call, profile: profile, reference: reference)
        case .higherOrder: return evaluateHigherOrder(call, profile: profile, reference: reference)
        }
    }

    /// Traps in a family's `evaluate…` when handed a mutant of another family (``family`` rules that out).
    func wrongFamily(_ expected: Family) -> Never {
        preconditionFailure("\(self) is a \(family) mutant, not a \(expected) one")
    }
}
