import ArgumentParser
import Mutants

/// `gnll mutants`: the built-in plausible wrong implementations.
struct Mutants: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in mutants of the reference: plausible mistakes the suite must catch.",
        discussion: """
            Each line: the name, the profiles it concerns, and the mistake. Serve one with \
            `gnll serve --mutant NAME`; `gnll verify --candidate "gnll serve --mutant NAME"` must fail.
            """)

    func run() {
        for mutant in Mutant.allCases {
            let profiles = mutant.profiles.map(\.rawValue).joined(separator: ",")
            print("\(mutant.rawValue)  [\(profiles)]  \(mutant.summary)")
        }
    }
}
