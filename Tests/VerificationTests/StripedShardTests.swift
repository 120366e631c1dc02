import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Mutants
import Testing
import Verification

/// `gnll verify --shard K/N` as a library call: every shard judges its stripe of every golden and property check,
/// and the merged shards are the unsharded run, to the byte, for a conformant candidate and for mutants that fail.
@Suite("Striped shards of a whole run")
struct StripedShardTests {
    /// The golden replay of PyTorch 2.15.0's file, read once.
    static let golden = Result {
        PreparedChecks(
            idPrefix: "golden.",
            checks: [.current: try FakeSuite.checks().filter { $0.id.hasPrefix("golden.") }])
    }

    /// The reference, and two mutants that fail golden and property checks at different case indices.
    enum Subject: String, CaseIterable, CustomTestStringConvertible {
        case reference
        case epsIgnored
        case halfNaiveSum

        var candidate: any Candidate {
            switch self {
            case .reference: ReferenceCandidate(profile: .current)
            case .epsIgnored: MutantCandidate(.epsIgnored)
            case .halfNaiveSum: MutantCandidate(.halfNaiveSum)
            }
        }

        var testDescription: String { rawValue }
    }

    /// 60 cases a property: two blocks (50 and 10), so that a property can stop after a block that is not the last.
    static func run(_ subject: Subject, seed: UInt64, shard: ShardSpec?) throws -> VerificationOutcome {
        var settings = VerificationSettings()
        settings.seed = seed
        settings.casesPerProperty = 60
        settings.sources = [try golden.get()]
        settings.shard = shard
        settings.candidateArgument = "--candidate 'python3 my_loss.py'"
        return try Verification.run(settings, candidate: subject.candidate)
    }

    @Test(
        "Merged shards equal the unsharded run: results, verdict and exit code (seeds 1 and 2)",
        arguments: Subject.allCases, [2, 3])
    func mergedShardsEqualOneRun(subject: Subject, count: Int) throws {
        var cutAfterFailure = 0
        var failuresBeyondFirstStripe = 0
        for seed: UInt64 in 1...2 {
            let whole = try Self.run(subject, seed: seed, shard: nil)
            var parts = [ShardedReport]()
            for index in (1...count).reversed() {
                let outcome = try Self.run(subject, seed: seed, shard: try ShardSpec(index: index, count: count))
                // Every golden and property check runs in every shard.
                #expect(outcome.report.checks.map(\.id) == whole.report.checks.map(\.id))
                // Through the file format, as gnll report merge reads it.
                parts.append(try JSONDecoder.results.decode(ShardedReport.self, from: try outcome.results.jsonData()))
            }
            let merged = try ReportMerge.merge(parts)
            let mergedText = String(decoding: try merged.jsonData(), as: UTF8.self)
            let wholeText = String(decoding: try whole.report.jsonData(), as: UTF8.self)
            // The text, not the values: a failing case's eps may be NaN, which compares unequal to itself.
            #expect(mergedText == wholeText, "seed \(seed)")
            #expect(merged.summary == whole.report.summary, "seed \(seed)")
            let verdict = GatedVerdict(merged)
            #expect(verdict.exitCode == whole.verdict.exitCode && verdict.closingLine == whole.verdict.closingLine)

            for (position, check) in whole.report.checks.enumerated() {
                let stripes = parts.map { $0.report.checks[position] }
                let judged = stripes.map(\.cases).reduce(0, +)
                if check.status == .passed {
                    // A passing check's cases are dealt out evenly: each stripe judged about 1/N of them.
                    #expect(judged == check.cases, "\(check.id)")
                    #expect(stripes.allSatisfy { abs($0.cases * count - check.cases) <= count }, "\(check.id)")
                }
                if check.status == .failed && judged > check.cases { cutAfterFailure += 1 }
                if check.status == .failed,
                    let first = stripes.compactMap({ $0.stripe?.firstFailureIndex }).min(),
                    first % count != 0
                {
                    failuresBeyondFirstStripe += 1
                }
            }
            #expect(
                (whole.verdict.exitCode == 0) == (subject == .reference), "seed \(seed): \(whole.verdict.closingLine)")
        }
        // The mutants exercise the merge's hard cases: a first failure that is not in the first stripe, and (eps-ignored,
        // which fails many properties; half-naive-sum fails one, which draws a few large cases, all in one block) a
        // stripe that judged past the block where the whole run stopped.
        if subject != .reference { #expect(failuresBeyondFirstStripe > 0) }
        if subject == .epsIgnored { #expect(cutAfterFailure > 0) }
    }
}
