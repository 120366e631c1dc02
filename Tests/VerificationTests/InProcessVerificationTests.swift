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

@Suite("The checks of a run")
struct CheckPlanTests {
    private struct Named: ConformanceCheck {
        let id: String
        let category = "test"
        let title = "a check"
        func run(in context: CheckContext) -> CheckResult { CheckResult(id: id, category: category, title: title) }
    }

    private let golden = PreparedChecks(
        idPrefix: "golden.", checks: [.torch2_10: [Named(id: "golden.a"), Named(id: "golden.b")]])
    private var checks: [any ConformanceCheck] {
        [Named(id: "golden.a"), Named(id: "golden.b"), Named(id: "property.x"), Named(id: "property.y")]
    }

    @Test("The selection and then the shard pick the checks, in run order")
    func selectionAndShard() throws {
        var settings = VerificationSettings()
        settings.sources = [golden]
        settings.selection = ["property.y", "golden.a", "golden.b"]
        settings.shard = try ShardSpec(index: 2, count: 2)
        let plan = try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
        #expect(plan.allIDs == ["golden.a", "golden.b", "property.x", "property.y"])
        // Sorted ids golden.a, golden.b, property.y deal to shards 1, 2, 1.
        #expect(plan.selected.map(\.id) == ["golden.b"])
    }

    @Test("A selected id or a listed id that names no check is an error that names it")
    func unknownIDs() throws {
        var settings = VerificationSettings()
        settings.selection = ["property.z"]
        #expect(throws: VerificationError.self) {
            try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
        }
        do {
            _ = try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
        } catch {
            #expect(error.message == "no check has the id 'property.z' under torch-2.10")
        }
        settings.selection = []
        settings.expectedFailures = try ExpectedFailures.parse("property.q\n", path: "list.txt")
        do {
            _ = try CheckPlan(checks: checks, settings: settings, profile: .torch2_10)
            Issue.record("an unknown listed id was accepted")
        } catch {
            #expect(error.message == "unknown id in list.txt:1: no check is named 'property.q'")
        }
    }

    @Test("A source the selection does not need is not read, and its listed ids count as known")
    func unreadSource() throws {
        var settings = VerificationSettings()
        settings.sources = [golden]
        settings.selection = ["property.x"]
        settings.expectedFailures = try ExpectedFailures.parse("golden.maybe\n", path: "list.txt")
        #expect(!settings.needsChecks(of: golden))
        let plan = try CheckPlan(
            checks: [Named(id: "property.x"), Named(id: "property.y")], settings: settings, profile: .torch2_10)
        #expect(plan.knownIDs.contains("golden.maybe"))
        #expect(plan.selected.map(\.id) == ["property.x"])
    }
}
