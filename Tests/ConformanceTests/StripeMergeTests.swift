import Conformance
import GNLLTestSupport
import GaussianNLL
import Judge
import Testing

/// ``CheckResult/merging(stripes:)`` against a whole check recorded case by case: random sequences of judged cases,
/// recorded once whole and once split into stripes, as a golden check (every case) and as a property (stopping after
/// the block of the first failure) records them.
@Suite("Merging a check's stripes")
struct StripeMergeTests {
    /// One judged case: its status, its worst ratio and dtype, and the size of its call.
    struct Case {
        var judgement: CaseJudgement
        var call: LossCase
    }

    static func randomCases(count: Int, seed: UInt64) throws -> [Case] {
        var random = SeededRandomNumberGenerator(seed: seed)
        return try (0..<count).map { index in
            let roll = Int.random(in: 0..<20, using: &random)
            let dtype: DType = [.float32, .float64, .float16][Int.random(in: 0..<3, using: &random)]
            let ratio = [0, 0.001, 0.3, 0.9, 3, .infinity][Int.random(in: 0..<6, using: &random)]
            let judgement: CaseJudgement
            switch roll {
            case 0:
                judgement = CaseJudgement(
                    status: .failed, findings: ["case \(index) is off"], worstRatios: [.loss: max(ratio, 2)],
                    messageMatches: nil, dtype: dtype)
            case 1, 2:
                judgement = CaseJudgement(
                    status: .skipped, findings: roll == 1 ? ["needs \(index)"] : [], worstRatios: [:],
                    messageMatches: nil)
            default:
                judgement = CaseJudgement(
                    status: .passed, findings: [], worstRatios: roll == 3 ? [:] : [.loss: min(ratio, 1)],
                    messageMatches: roll == 4 ? false : nil, dtype: roll == 3 ? nil : dtype)
            }
            let size = Int.random(in: 1...3, using: &random)
            let tensor = try Tensor(dtype: .float32, shape: [size], values: [Double](repeating: 1, count: size))
            return Case(judgement: judgement, call: LossCase(input: tensor, target: tensor, variance: .tensor(tensor)))
        }
    }

    /// Records cases as a check does: every one, or (with a block size) up to the end of the first failure's block.
    static func record(
        _ cases: [Case], stripe: CaseStripe?, blockSize: Int?
    ) -> CheckResult {
        var result = CheckResult(id: "property.x", category: "x", title: "x")
        result.stripe = stripe.map { StripeRecord(stripe: $0, blockSize: blockSize) }
        var stopAfter = Int.max
        var firstFailure: Int?
        for (index, item) in cases.enumerated() where stripe?.contains(index) ?? true {
            if index >= stopAfter { break }
            result.record(item.judgement, call: item.call, caseIndex: index, reproduction: "rerun")
            if let blockSize, item.judgement.status == .failed, firstFailure == nil {
                firstFailure = index
                stopAfter = (index / blockSize + 1) * blockSize
            }
        }
        // A property reports its first failure (shrunk), whatever the sizes of the others.
        if let firstFailure {
            result.failure = CheckFailure(message: "case \(firstFailure)", call: nil, caseSize: 0, reproduction: nil)
        }
        result.finish()
        return result
    }

    @Test("Merged stripes equal the whole check: every case, or blocks up to the first failure", arguments: [2, 3, 5])
    func mergedEqualsWhole(count: Int) throws {
        var failedChecks = 0
        var cut = 0
        for seed: UInt64 in 1...60 {
            let cases = try Self.randomCases(count: Int(seed % 7) * 9 + 1, seed: seed)
            for blockSize in [nil, 4] as [Int?] {
                let whole = Self.record(cases, stripe: nil, blockSize: blockSize)
                let stripes = (1...count).reversed().map {
                    Self.record(cases, stripe: CaseStripe(index: $0, count: count), blockSize: blockSize)
                }
                let merged = try CheckResult.merging(stripes: stripes)
                #expect(merged == whole, "seed \(seed), block size \(String(describing: blockSize))")
                if whole.status == .failed { failedChecks += 1 }
                if stripes.map(\.cases).reduce(0, +) > whole.cases { cut += 1 }
            }
        }
        // The sequences exercise failures, and stripes that judged past the block where the whole check stopped.
        #expect(failedChecks > 20 && cut > 5, "\(failedChecks) failed, \(cut) cut")
    }

    @Test("A check that ended in an error ends in the error at the lowest case index")
    func error() throws {
        func stripe(_ index: Int, errorAt caseIndex: Int?) -> CheckResult {
            var result =
                caseIndex.map {
                    var failed = CheckResult.error(
                        id: "golden.x", category: "golden", title: "t", message: "case \($0)")
                    failed.cases = $0
                    return failed
                } ?? CheckResult(id: "golden.x", category: "golden", title: "t")
            result.stripe = StripeRecord(stripe: CaseStripe(index: index, count: 3)!)
            result.stripe?.errorIndex = caseIndex
            return result
        }
        let merged = try CheckResult.merging(stripes: [
            stripe(1, errorAt: 9), stripe(2, errorAt: nil), stripe(3, errorAt: 5),
        ])
        var expected = CheckResult.error(id: "golden.x", category: "golden", title: "t", message: "case 5")
        expected.cases = 5
        #expect(merged == expected)
    }

    @Test("Stripes that are not the N stripes of one check are refused")
    func refused() throws {
        func stripe(_ index: Int, of count: Int, id: String = "a.b") -> CheckResult {
            var result = CheckResult(id: id, category: "a", title: "t")
            result.stripe = StripeRecord(stripe: CaseStripe(index: index, count: count)!)
            return result
        }
        func message(_ parts: [CheckResult]) -> String? {
            do {
                _ = try CheckResult.merging(stripes: parts)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message([]) == "no stripe to merge")
        #expect(message([stripe(1, of: 3), stripe(3, of: 3)]) == "check 'a.b': stripe 2/3 missing")
        #expect(
            message([stripe(1, of: 2), stripe(1, of: 2), stripe(2, of: 2)]) == "check 'a.b': a stripe is given twice")
        #expect(message([stripe(1, of: 2), stripe(2, of: 3)]) == "check 'a.b': the stripes are of different splits")
        #expect(
            message([stripe(1, of: 2), stripe(2, of: 2, id: "a.c")])
                == "check 'a.b': the stripes are of different checks ('a.c')")
        var plain = stripe(2, of: 2)
        plain.stripe = nil
        #expect(message([stripe(1, of: 2), plain]) == "check 'a.b' has a result without a valid stripe record")
        #expect(CaseStripe(index: 0, count: 2) == nil && CaseStripe(index: 3, count: 2) == nil)
        #expect((0..<7).filter(CaseStripe(index: 2, count: 3)!.contains) == [1, 4])
    }
}
