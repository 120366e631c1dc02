public import Conformance
public import Foundation
public import GaussianNLL
import GoldenFiles
import GoldenReplay

/// The repository root, found from this file's path.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The reference with some outputs corrupted, so that a run has failures of several kinds: float32 losses
/// of cases with a multiple of three input elements are 1% off (over the bound); float16 sums are NaN (a
/// value of the wrong class); bfloat16 gradients with respect to var are a little off on cases whose
/// eps is not the default. It takes neither mixed dtypes nor a scalar var, so some cases are skipped.
public struct CorruptingCandidate: Candidate {
    let reference: ReferenceCandidate
    public let info: CandidateInfo

    public init(profile: Profile = .current) {
        reference = ReferenceCandidate(profile: profile)
        info = CandidateInfo(
            name: "corrupting-reference", version: "0.1 <test> & \"quotes\"\tand\na newline", profile: profile,
            dtypes: DType.allCases, features: [.grad])
    }

    public func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
        zip(calls, reference.evaluate(calls)).map { call, answer in
            guard case .outcome(.success(var result)) = answer else { return answer }
            let dtype = result.loss.dtype
            if dtype == .float32 && call.input.elementCount % 3 == 0 {
                result.loss = scaled(result.loss, by: 1.01)
            } else if dtype == .float16 && call.reduction == "sum" {
                result.loss = scaled(result.loss, by: .nan)
            } else if dtype == .bfloat16, call.eps != LossCase.defaultEps, let gradients = result.gradients,
                let variance = gradients.variance
            {
                result.gradients?.variance = scaled(variance, by: 1.0625)
            }
            return .outcome(.success(result))
        }
    }

    private func scaled(_ tensor: Tensor, by factor: Double) -> Tensor {
        (try? Tensor(dtype: tensor.dtype, shape: tensor.shape, values: tensor.values.map { $0 * factor })) ?? tensor
    }
}

/// A hand-made property check: random cases of one dtype and reduction, judged against the oracle.
public struct RandomCasesCheck: ConformanceCheck {
    public let id: String
    public let category: String
    public let title: String
    public let dtype: DType
    public let reduction: String
    public let gradients: Bool
    /// A var of another dtype than input (which the corrupting candidate does not take).
    public var mixedDTypes = false
    /// eps drawn from a range rather than the default.
    public var randomEps = false

    public init(
        _ name: String, category: String = "property", dtype: DType, reduction: String = "mean",
        gradients: Bool = false, mixedDTypes: Bool = false, randomEps: Bool = false
    ) {
        id = "\(category).\(name)"
        self.category = category
        title = "Random \(dtype) cases with reduction '\(reduction)'\(gradients ? " and gradients" : "") conform"
        self.dtype = dtype
        self.reduction = reduction
        self.gradients = gradients
        self.mixedDTypes = mixedDTypes
        self.randomEps = randomEps
    }

    /// Its cases are one list of calls run through ``CheckContext/runCases(_:into:)``, which judges a stripe's.
    public var runsInStripes: Bool { true }

    public func run(in context: CheckContext) -> CheckResult {
        var random = SeededRandomNumberGenerator(seed: context.seed ^ FNV1a.hash(id))
        let calls = (0..<context.casesPerProperty).map { _ in makeCase(using: &random) }
        var result = CheckResult(id: id, category: category, title: title)
        context.runCases(calls, into: &result)
        result.finish()
        return result
    }

    private func makeCase(using random: inout SeededRandomNumberGenerator) -> LossCase {
        let rows = Int.random(in: 1...4, using: &random)
        let columns = Int.random(in: 1...5, using: &random)
        let shape = Shape([rows, columns])
        let count = rows * columns
        func values(_ range: ClosedRange<Double>) -> [Double] {
            (0..<count).map { _ in Double.random(in: range, using: &random) }
        }
        let input = try! Tensor(dtype: dtype, shape: shape, values: values(-3...3))
        let target = try! Tensor(dtype: dtype, shape: shape, values: values(-3...3))
        let variance = try! Tensor(dtype: mixedDTypes ? .float64 : dtype, shape: shape, values: values(0.05...4))
        let gradOutput: Tensor? =
            gradients
            ? (reduction == "none" ? try! Tensor.filled(1, dtype: dtype, shape: shape) : .scalar(1, dtype: dtype))
            : nil
        let eps = randomEps ? Double.random(in: 1e-4...0.5, using: &random) : LossCase.defaultEps
        return LossCase(
            input: input, target: target, variance: .tensor(variance), full: Bool.random(using: &random), eps: eps,
            reduction: reduction, gradOutput: gradOutput)
    }
}

/// A check that cannot run: the suite, not the candidate, is at fault.
public struct BrokenCheck: ConformanceCheck {
    public let id = "infrastructure.unreadable"
    public let category = "infrastructure"
    public let title = "A check whose data cannot be read"

    public init() {}

    public func run(in context: CheckContext) -> CheckResult {
        .error(id: id, category: category, title: title, message: "cannot read fixture: permission denied\nsecond line")
    }
}

/// The suite of the tests: the golden replay of PyTorch 2.15.0's file and twenty-odd hand-made checks.
public enum FakeSuite {
    public static let goldenPath = repositoryRoot.appendingPathComponent("golden/torch-2.15.0.h5").path

    /// The golden replay checks and the hand-made ones, read once per test process.
    public static func checks(includeGolden: Bool = true) throws -> [any ConformanceCheck] {
        includeGolden ? try cachedChecks.get() : handmadeChecks
    }

    private static let cachedChecks = Result {
        GoldenReplayCheck.checks(for: try GoldenFile(path: goldenPath)) + handmadeChecks
    }

    /// Twenty-odd hand-made checks: four per dtype, one with mixed dtypes, one that cannot run.
    public static var handmadeChecks: [any ConformanceCheck] {
        var checks: [any ConformanceCheck] = []
        for dtype in DType.floatingCases {
            for reduction in ["mean", "sum", "none"] {
                checks.append(RandomCasesCheck("\(dtype)_\(reduction)", dtype: dtype, reduction: reduction))
            }
            checks.append(
                RandomCasesCheck(
                    "\(dtype)_grad_eps", category: "gradients", dtype: dtype, gradients: true, randomEps: true))
        }
        checks.append(RandomCasesCheck("float32_mixed_var", category: "dtypes", dtype: .float32, mixedDTypes: true))
        checks.append(BrokenCheck())
        return checks
    }

    /// Runs checks against the corrupting candidate (the cases of `stripe`, with one).
    public static func run(
        _ checks: [any ConformanceCheck], seed: UInt64 = 7, casesPerProperty: Int = 12,
        candidate: any Candidate = CorruptingCandidate(), stripe: CaseStripe? = nil
    ) -> VerifyReport {
        let context = CheckContext(
            candidate: candidate, profile: .current, seed: seed, casesPerProperty: casesPerProperty, stripe: stripe,
            reproduction: { "gnll verify --candidate 'python3 my_loss.py' --seed \(seed) --check \($0)" })
        return Verifier(checks: checks).run(in: context, budget: "\(casesPerProperty) cases")
    }

    /// A run of the whole fake suite, made once per test process.
    public static func report() throws -> VerifyReport {
        try cachedReport.get()
    }

    private static let cachedReport = Result { run(try checks()) }
}
