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
        #expect(outcome.verdict.closingLine == "\(outcome.report.checks.count) passed, 0 failed, 0 skipped")
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
}
