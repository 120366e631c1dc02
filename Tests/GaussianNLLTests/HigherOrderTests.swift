import GNLLTestSupport
import Testing

@testable import GaussianNLL

@Suite("HigherOrder")
struct HigherOrderTests {
    static let higherOutputs = ["hvp_input", "hvp_target", "hvp_var", "jvp"]

    /// The reference's hvp and jvp against PyTorch's for every fact of every facts file: the same outputs, dtypes
    /// and shapes, the same NaNs and infinities, and values within a few units in the last place; the rate of
    /// bitwise agreement is printed.
    @Test("The reference reproduces PyTorch's hvp and jvp facts", arguments: HigherOrderFacts.files.map(\.name))
    func referenceMatchesFacts(file: String) throws {
        let profile = try #require(HigherOrderFacts.files.first { $0.name == file }?.profile)
        let facts = try HigherOrderFacts.load(file, profile: profile)
        #expect(facts.count == 87)
        var compared = 0
        var bitwise = 0
        for fact in facts {
            let outcome = Reference.evaluate(fact.call, profile: profile)
            if fact.raised != nil {
                #expect(outcome.result == nil, "\(fact.label): PyTorch raised")
                continue
            }
            let result = try #require(outcome.result, "\(fact.label)")
            let mine: [String: Tensor?] = [
                "hvp_input": result.hvp?.input, "hvp_target": result.hvp?.target, "hvp_var": result.hvp?.variance,
                "jvp": result.jvp,
            ]
            for name in Self.higherOutputs {
                let expected = fact.outputs[name]
                let got = mine[name] ?? nil
                #expect((expected == nil) == (got == nil), "\(fact.label): \(name) presence")
                guard let expected, let got else { continue }
                compared += expected.elementCount
                #expect(got.dtype == expected.dtype && got.shape == expected.shape, "\(fact.label): \(name)")
                for (index, (a, b)) in zip(got.values, expected.values).enumerated() {
                    if a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) {
                        bitwise += 1
                        continue
                    }
                    let ulp = expected.dtype.unitRoundoff * 2 * max(abs(b), expected.dtype.leastNormalMagnitude)
                    let close = a.isFinite && b.isFinite && abs(a - b) <= 8 * ulp
                    // float16 jvp whose 1/v² overflows: torch-2.6 gives −inf, torch-2.10 a finite value.
                    let overflow = fact.label == "dtypes.float16.overflow"
                    #expect(close || overflow, "\(fact.label): \(name)[\(index)] = \(a), PyTorch \(b)")
                }
            }
        }
        print("\(file): \(bitwise) of \(compared) hvp/jvp elements bitwise equal to PyTorch's")
    }
}
