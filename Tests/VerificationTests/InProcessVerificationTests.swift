import Conformance
import Foundation
import GaussianNLL
import GoldenReplay
import Testing
import Verification

/// The README's in-process example, through the library's public API only: a Swift type conforms to
/// `Candidate`, `Verification.run` verifies it, and the verdict says whether it conforms.
@Suite("Verifying a Swift implementation in process")
struct InProcessVerificationTests {
    static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden").path

    /// An implementation under test: here the reference, with an optional slip in the loss.
    struct MyLoss: Candidate {
        let info = CandidateInfo(
            name: "my-loss", version: "1.0", profile: .torch2_10, dtypes: DType.allCases,
            features: CandidateFeature.allCases)
        /// Multiplies every loss value by this (1: exact).
        var lossScale = 1.0

        func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
            calls.map { call in
                var outcome = Reference.evaluate(call, profile: info.profile)
                if lossScale != 1, case .success(var result) = outcome,
                    let scaled = try? Tensor(
                        dtype: result.loss.dtype, shape: result.loss.shape,
                        values: result.loss.values.map { $0 * lossScale })
                {
                    result.loss = scaled
                    outcome = .success(result)
                }
                return .outcome(outcome)
            }
        }
    }

    /// The README example, as written there.
    static func verify(_ candidate: some Candidate) throws -> VerificationOutcome {
        var settings = VerificationSettings()
        settings.sources = [GoldenReplaySource(folder: GoldenFolder(path: goldenFolder))]
        settings.budget = .quick
        return try Verification.run(settings, candidate: candidate)
    }

    @Test("A conforming implementation gets 'conformant', with golden and property checks run")
    func conforming() throws {
        let outcome = try Self.verify(MyLoss())
        #expect(outcome.verdict.outcome == .conformant)
        #expect(outcome.verdict.exitCode == 0)
        #expect(outcome.report.summary.failed == 0 && outcome.report.summary.errors == 0)
        #expect(outcome.report.checks.contains { $0.id.hasPrefix("golden.") })
        #expect(outcome.report.checks.contains { $0.id.hasPrefix("property.") })
        #expect(outcome.report.candidate.name == "my-loss")
        #expect(outcome.verdict.closingLine == "\(outcome.report.checks.count) passed, 0 failed, 0 errors, 0 not run")
    }

    @Test("A loss off by 1% gets 'not conformant', with the failing checks named")
    func slipping() throws {
        let outcome = try Self.verify(MyLoss(lossScale: 1.01))
        #expect(outcome.verdict.outcome == .notConformant)
        #expect(outcome.verdict.exitCode == 1)
        #expect(outcome.verdict.unexpectedFailures.contains("property.random.oracle"))
        let failure = try #require(outcome.report.checks.first { $0.status == .failed }?.failure)
        #expect(failure.call != nil)
    }

    @Test("An expected-failures list turns the listed failures into a conformant verdict")
    func expectedFailures() throws {
        let failing = try Self.verify(MyLoss(lossScale: 1.01)).verdict.unexpectedFailures
        var settings = VerificationSettings()
        settings.sources = [GoldenReplaySource(folder: GoldenFolder(path: Self.goldenFolder))]
        settings.budget = .quick
        settings.expectedFailures = try ExpectedFailures.parse(
            failing.map { "\($0)  # the loss is scaled" }.joined(separator: "\n"), path: "expected.txt")
        let outcome = try Verification.run(settings, candidate: MyLoss(lossScale: 1.01))
        #expect(outcome.verdict.outcome == .conformant)
        #expect(outcome.verdict.expectedFailures == failing)
    }

    /// The reference, answering `unsupported` to the calls `refuses` picks, although it declares every dtype and
    /// feature.
    struct Refusing: Candidate {
        let info = CandidateInfo(
            name: "refusing", version: "1.0", profile: .torch2_10, dtypes: DType.allCases,
            features: CandidateFeature.allCases)
        let refuses: @Sendable (LossCase, LossOutcome) -> Bool

        func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
            calls.map { call in
                let outcome = Reference.evaluate(call, profile: info.profile)
                guard refuses(call, outcome) else { return .outcome(outcome) }
                return .outcome(.rejection(Rejection(kind: .unsupported, exceptionType: "", message: "not today")))
            }
        }
    }

    @Test("A candidate that answers unsupported to every declared call fails every check, none conformant")
    func unsupportedEverywhere() throws {
        let outcome = try Self.verify(Refusing { _, _ in true })
        #expect(outcome.verdict.outcome == .notConformant)
        #expect(outcome.report.summary.passed == 0 && outcome.report.summary.skipped == 0)
        #expect(outcome.report.summary.failed == outcome.report.checks.count)
        let failure = try #require(outcome.report.checks.first { $0.id == "golden.errors" }?.failure)
        #expect(failure.message.contains("answered unsupported (not today) for a call within its declared dtypes"))
    }

    @Test("Answering unsupported exactly where PyTorch rejects, or to every gradient call, is not conformant")
    func unsupportedWherePyTorchRejects() throws {
        let rejecting = try Self.verify(
            Refusing { _, outcome in
                if case .rejection = outcome { return true }
                return false
            })
        #expect(rejecting.verdict.outcome == .notConformant)
        #expect(rejecting.verdict.unexpectedFailures.contains("golden.errors"))
        #expect(rejecting.verdict.unexpectedFailures.contains("property.errors.precedence"))
        let gradients = try Self.verify(Refusing { call, _ in call.wantsGradients })
        #expect(gradients.verdict.outcome == .notConformant)
        #expect(gradients.verdict.unexpectedFailures.contains("property.gradient.finite_differences"))
        #expect(gradients.verdict.notRun.isEmpty)
    }

    @Test("A candidate that declares no dtype is refused before any check")
    func noDtypes() throws {
        struct Empty: Candidate {
            let info = CandidateInfo(name: "empty", version: "1", dtypes: [])
            func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] { [] }
        }
        let error = #expect(throws: VerificationError.self) { try Self.verify(Empty()) }
        #expect(error?.message == "the candidate declares no dtype: it would be judged on nothing")
    }

    @Test("A check that judges no case is not run: the verdict is not conformant unless a list names it")
    func notRun() throws {
        struct NoScalarVar: Candidate {
            let info = CandidateInfo(
                name: "no-scalar-var", version: "1", profile: .torch2_10, dtypes: DType.allCases,
                features: [.grad, .mixedDtype])
            func evaluate(_ calls: [LossCase]) -> [CandidateAnswer] {
                calls.map { .outcome(Reference.evaluate($0, profile: info.profile)) }
            }
        }
        var settings = VerificationSettings()
        settings.budget = .quick
        settings.selection = ["property.scalar_var.equals_filled_tensor", "property.eps.clamp_equivalence"]
        let plain = try Verification.run(settings, candidate: NoScalarVar())
        #expect(plain.verdict.outcome == .notConformant)
        #expect(plain.verdict.notRun == ["property.scalar_var.equals_filled_tensor"])
        #expect(plain.verdict.closingLine == "1 passed, 0 failed, 0 errors, 1 not run")
        let reason = plain.report.checks.first { $0.status == .skipped }?.failure?.message
        #expect(reason == "not run: the candidate takes no Python-float var")
        settings.expectedFailures = try ExpectedFailures.parse(
            "property.scalar_var.equals_filled_tensor  # no Python-float var\n", path: "expected.txt")
        let listed = try Verification.run(settings, candidate: NoScalarVar())
        #expect(listed.verdict.outcome == .conformant)
        #expect(listed.verdict.expectedFailures == ["property.scalar_var.equals_filled_tensor"])
    }
}
