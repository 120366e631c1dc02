public import Conformance
public import GaussianNLL

/// The randomized properties of `gaussian_nll_loss`, as conformance checks.
///
/// Each property draws `casesPerProperty` cases (the budget) from the run's seed, sends them to the candidate
/// in batches, and judges the answers against the oracle and against each other. The cases are drawn for the
/// candidate's declared dtypes and features, so a float32/float64-only candidate still gets real checks.
///
/// ```swift
/// let database = try RegressionDatabase.load()
/// let checks = PropertySuite.checks(for: .torch2_10, database: database)
/// let report = Verifier(checks: checks).run(in: context, budget: "default")
/// ```
public enum PropertySuite {
    /// Whether `id` names a property check: every property check's id starts with `property.`, so a run
    /// that selects only such ids needs no golden file.
    public static func isPropertyCheckID(_ id: String) -> Bool { id.hasPrefix("property.") }

    /// How many candidate cases the shrinker tries for a failure, by default.
    public static let defaultShrinkAttempts = 500

    /// The property checks for a profile; with a database, each replays its stored failures first and stores
    /// new ones. A failure is shrunk with up to `maximumShrinkAttempts` candidate cases (0: not shrunk).
    public static func checks(
        for profile: Profile, database: RegressionDatabase?, maximumShrinkAttempts: Int = defaultShrinkAttempts
    ) -> [any ConformanceCheck] {
        var properties: [Property] = [
            randomOracle(database),
            homoscedasticEqualsExpanded(database),
            varianceShapeRule(database),
            targetBroadcast(database),
            squareRows(database),
            clampEquivalence(database),
            nonPositiveEps(database),
            specialVariance(database),
            gradientIgnoresClamp(database),
            finiteDifferences(database),
            linearInGradOutput(database),
            gradientsIndependentOfRequiresGrad(database),
            sumOfNone(database),
            meanOverCount(database),
            meanGradient(database),
            permutationInvariance(database),
            emptyOutputs(database),
            invalidReductionRejected(database),
            fullAddsConstant(database),
            swapSymmetry(database),
            promotion(database),
            halfAccumulation(database),
            integerOperands(database),
            errorPrecedence(database),
        ]
        if profile.acceptsScalarVariance { properties.append(scalarEqualsFilledTensor(database)) }
        // torch-1.8 never broadcasts target (it must have input's size), so no target gradient is summed.
        if !profile.sumsPerSample { properties.append(broadcastTargetZeroSign(database)) }
        properties.append(higherOrderOracle(database))
        return properties.map { property in
            var property = property
            property.maximumShrinkAttempts = maximumShrinkAttempts
            return property
        }
    }

    /// The ids of the property checks for a profile.
    public static func checkIDs(for profile: Profile) -> [String] {
        checks(for: profile, database: nil).map(\.id)
    }
}
