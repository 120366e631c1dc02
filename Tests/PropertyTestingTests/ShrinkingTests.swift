import Conformance
import GNLLTestSupport
import GaussianNLL
import Testing

@testable import PropertyTesting

@Suite("Shrinking")
struct ShrinkingTests {
    @Test("A synthetic failing predicate shrinks to a local minimum, in batches, within the attempt budget")
    func synthetic() {
        var batches = 0
        var shrinker = Shrinker(maximumAttempts: 500) { candidates in
            batches += 1
            return candidates.map { $0.count >= 2 && $0.reduce(0, +) >= 10 ? $0 : nil }
        }
        let shrunk = shrinker.shrink([5, 7, 3, 9, 11, 2, 40, 1])
        #expect(shrunk.count == 2)
        #expect(shrunk.reduce(0, +) == 10)
        #expect(shrinker.attempts <= 500)
        #expect(batches < shrinker.attempts)
    }

    @Test("Shortlex order: shorter first, then lexicographic")
    func order() {
        #expect(Shrinker.isSimpler([9], than: [0, 0]))
        #expect(Shrinker.isSimpler([0, 5], than: [1, 0]))
        #expect(!Shrinker.isSimpler([1, 0], than: [1, 0]))
    }

    @Test("A failing property is shrunk to a minimal case, reported with the seed, the case and a replay command")
    func endToEnd() throws {
        let property = PropertySuite.randomOracle(nil)
        let result = property.run(in: context(BrokenCandidate(), profile: .torch2_10, seed: 1, cases: 100))
        #expect(result.status == .failed)
        let failure = try #require(result.failure)
        let call = try #require(try failure.call?.call())
        // The smallest call the broken candidate gets wrong: three elements, the simplest values and options.
        #expect(call.input.shape == [3])
        #expect(call.input.values == [0, 0, 0])
        #expect(call.input.dtype == .float32)
        #expect(call.eps == 1e-6)
        #expect(call.reduction == "mean")
        #expect(!call.full)
        #expect(!call.wantsGradients)
        #expect(failure.message.contains("of seed 1"))
        #expect(failure.message.contains("input = torch.tensor([0.0, 0.0, 0.0], dtype=torch.float32)"))
        #expect(failure.message.contains("F.gaussian_nll_loss(input, target, var"))
        #expect(failure.reproduction == "gnll verify --seed 1 --check property.random.oracle")
    }

    @Test("Without shrinking, the case is reported as drawn")
    func unshrunk() throws {
        let property = try #require(
            PropertySuite.checks(for: .torch2_10, database: nil, maximumShrinkAttempts: 0).first as? Property)
        let result = property.run(in: context(BrokenCandidate(), profile: .torch2_10, seed: 1, cases: 100))
        #expect(result.status == .failed)
        #expect(result.failure?.message.contains("(not shrunk)") == true)
    }
}
