import ArgumentParser
import Conformance
import Foundation
import GaussianNLL
import GoldenFiles
import GoldenReplay
import Judge

/// `gnll golden`: the golden files.
struct Golden: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the golden files against the reference, or compare two of them.",
        subcommands: [GoldenVerify.self, GoldenDiff.self, GoldenProbe.self])
}

/// `gnll golden verify`: replay golden files against the reference.
struct GoldenVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay golden files against the reference: one line per failing case, then a count.",
        discussion: """
            Each case must give PyTorch's outcome: the same exception kind and message for a rejection, and \
            values within the tolerance of the oracle for a result. --margins also prints how close PyTorch's \
            own recorded outputs come to the tolerance bound, per dtype and output. Exit codes: 0 every case \
            passed, 1 a case failed, 2 a folder or file that cannot be read, or a case whose recorded outcome \
            the oracle disagrees with (an ERROR line: the file, or the suite, is wrong).
            """)

    @Option(name: .long, help: "Replay under this profile instead of each file's own.")
    var profile: Profile?

    @Flag(name: .long, help: "Print PyTorch's margins against the tolerance model as a Markdown table.")
    var margins = false

    @OptionGroup var golden: GoldenDirectoryOption

    @Argument(help: "Golden files (default: every .h5 file in the golden folder).")
    var files: [String] = []

    func run() throws {
        let paths: [String]
        do { paths = try files.isEmpty ? golden.files() : files } catch { throw CommandFailure("\(error)") }
        guard !paths.isEmpty else {
            throw CommandFailure("no golden files in \(golden.path)")
        }
        var passed = 0
        var failed = 0
        var errors = 0
        var measured: GoldenMargins?
        for path in paths {
            let file: GoldenFile
            do { file = try GoldenLoading.load(path) } catch {
                throw CommandFailure("\(error)")
            }
            let profile = self.profile ?? file.profile
            let session = CandidateSession(candidate: ReferenceCandidate(profile: profile), profile: profile)
            for replay in GoldenReplayCheck.replay(file.cases, in: session) {
                let problems = replay.problems
                if let disagreement = replay.disagreement {
                    errors += 1
                    print(
                        "ERROR \(path): case \(replay.golden.name): the file disagrees with the oracle: \(disagreement)"
                    )
                } else if problems.isEmpty {
                    passed += 1
                } else {
                    failed += 1
                    print("FAIL \(path): \(problems.joined(separator: "; "))")
                }
            }
            if margins {
                let fileMargins = GoldenMargins(file: file)
                if measured == nil { measured = fileMargins } else { measured!.merge(fileMargins) }
            }
        }
        if let measured { print(MarginsTable(measured).markdown) }
        print("\(passed) passed, \(failed) failed" + (errors > 0 ? ", \(errors) error\(errors == 1 ? "" : "s")" : ""))
        if errors > 0 { throw cannotDecide }
        if failed > 0 { throw notConformant }
    }
}

/// PyTorch's margins as a Markdown table.
struct MarginsTable {
    let margins: GoldenMargins

    init(_ margins: GoldenMargins) { self.margins = margins }

    var markdown: String {
        var lines = [
            "| dtype | output | elements | largest \\|error\\| / bound | worst case | inf/NaN from overflow | beyond bound |",
            "|---|---|---:|---:|---|---:|---:|",
        ]
        for row in margins.rows.keys.sorted() {
            let m = margins.rows[row]!
            lines.append(
                "| \(row.dtype) | \(row.kind) | \(m.elements) | \(String(format: "%.4f", m.worstRatio)) | \(m.worstCase) "
                    + "| \(m.allowedOverflows) | \(m.failures) |")
        }
        for disagreement in margins.disagreements { lines.append("\nOracle disagrees with PyTorch: \(disagreement)") }
        return lines.joined(separator: "\n")
    }
}

/// `gnll golden diff`: what changed between two golden files.
struct GoldenDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "List the cases whose outcome changed between two golden files, grouped by category.",
        discussion: """
            For maintainers regenerating the goldens after a PyTorch release: accepted vs rejected, error kind \
            or message, shape, dtype, and values further apart than the tolerance. Exit code 0 when nothing \
            changed, 1 when something did.
            """)

    @Argument(help: "The older golden file.") var old: String
    @Argument(help: "The newer golden file.") var new: String

    func run() throws {
        let a: GoldenFile
        let b: GoldenFile
        do {
            a = try GoldenLoading.load(old)
            b = try GoldenLoading.load(new)
        } catch {
            throw CommandFailure("\(error)")
        }
        let changes = GoldenComparison(old: a, new: b).changes
        let byCategory = Dictionary(grouping: changes, by: \.category)
        for category in byCategory.keys.sorted() {
            let list = byCategory[category]!
            print("== \(category): \(list.count) changed")
            for change in list { print("  \(change.name): \(change.summary)") }
        }
        let shared = Set(a.cases.map(\.name)).intersection(b.cases.map(\.name)).count
        print(
            "\(a.profile) (\(a.provenance["torch_version"] ?? "?")) → \(b.profile) (\(b.provenance["torch_version"] ?? "?")): "
                + "\(shared) cases compared, \(changes.count) changed")
        if !changes.isEmpty { throw notConformant }
    }
}
