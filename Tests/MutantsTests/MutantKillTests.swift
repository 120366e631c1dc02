import Conformance
import Foundation
import GaussianNLL
import GoldenFiles
import Mutants
import PropertyTesting
import Testing

/// Mutation analysis: the suite (golden replay and the properties) must reject every mutant under every profile
/// it concerns, at the default budget and seed 1, run in this process.
///
/// What runs, to keep the test fast enough for CI (debug build, two cores):
/// - every golden category of the profile's file in `golden/` except `large` (25 cases of about 100,000
///   elements, some 9 s per profile in a debug build); no mutant needs it: `half-naive-sum`, the one it
///   targets, is caught by `property.dtype.half_accumulation`. torch-1.8 has no golden file: properties only.
/// - every property at the default budget (300 cases), with shrinking off: shrinking changes the reported case,
///   never whether a property fails.
@Suite("Mutant kills")
struct MutantKillTests {
    /// The golden checks of each profile with a file in `golden/`, `large` left out.
    static let goldenChecks: [Profile: [any ConformanceCheck]] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("golden")
        var checks = [Profile: [any ConformanceCheck]]()
        for name in ["torch-2.15.0.h5", "torch-2.9.1.h5", "torch-2.1.2.h5"] {
            guard let file = try? GoldenFile(path: folder.appendingPathComponent(name).path) else { continue }
            checks[file.profile] = GoldenReplayCheck.checks(for: file).filter { $0.id != "golden.large" }
        }
        return checks
    }()

    static let pairs: [(Mutant, Profile)] = Mutant.allCases.flatMap { mutant in mutant.profiles.map { (mutant, $0) } }

    @Test("The suite kills the mutant", arguments: pairs)
    func killed(mutant: Mutant, profile: Profile) {
        let context = CheckContext(
            candidate: MutantCandidate(mutant, profile: profile), profile: profile, seed: 1,
            casesPerProperty: Budget.default.casesPerProperty,
            reproduction: { "gnll verify --seed 1 --check \($0)" })
        let checks =
            (Self.goldenChecks[profile] ?? [])
            + PropertySuite.checks(for: profile, database: nil, maximumShrinkAttempts: 0)
        var killers = [String]()
        var first = ""
        for check in checks {
            let result = check.run(in: context)
            guard result.status == .failed || result.status == .error else { continue }
            killers.append(check.id)
            if first.isEmpty { first = result.failure?.message.split(separator: "\n").first.map(String.init) ?? "" }
        }
        let goldens = Self.goldenChecks[profile] == nil ? "no golden file" : "goldens"
        print(
            "mutant \(mutant.rawValue) [\(profile)]: "
                + (killers.isEmpty
                    ? "SURVIVED (\(goldens) and properties)"
                    : "killed by \(killers.count): \(killers.joined(separator: ", "))"))
        #expect(!killers.isEmpty, "\(mutant.rawValue) survives under \(profile): \(mutant.summary)")
        if !killers.isEmpty { #expect(!first.isEmpty) }
    }

    @Test("At least 30 mutants, each described, each concerning a profile, each named as a candidate")
    func catalogue() {
        #expect(Mutant.allCases.count >= 30)
        for mutant in Mutant.allCases {
            #expect(!mutant.summary.isEmpty)
            #expect(!mutant.profiles.isEmpty)
            #expect(MutantCandidate(mutant, profile: .torch1_9).info.name == "gnll-mutant-\(mutant.rawValue)")
            #expect(MutantCandidate(mutant, profile: .torch1_9).info.profile == .torch1_9)
        }
    }

    @Test("The golden files of three profiles are there")
    func goldensPresent() {
        #expect(Set(Self.goldenChecks.keys) == [.torch1_9, .torch2_6, .torch2_10])
    }
}
