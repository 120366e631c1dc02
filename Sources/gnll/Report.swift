public import ArgumentParser
import Conformance
import Foundation
public import Reporting
public import Verification

/// `gnll report`: render results files, merge the results of shards, gate results on expected failures.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render results as JSON, JUnit XML, Markdown or HTML; merge shards; apply expected failures.",
        discussion: """
            Results files are written by `gnll verify --json FILE` (Schemas/results.schema.json). Exit codes: \
            0 done, 2 a file that cannot be read, merged or written; `gate` exits with the verdict: 0 \
            conformant, 1 not conformant, 2 no verdict.
            """,
        subcommands: [RenderReport.self, MergeReports.self, GateReport.self])
}

extension ReportFormat: ExpressibleByArgument {}

extension ShardSpec: ExpressibleByArgument {
    /// Parses `K/N` for `--shard`.
    public init?(argument: String) {
        guard let shard = try? ShardSpec(parsing: argument) else { return nil }
        self = shard
    }
}

/// `gnll report render`: one results file in another format.
struct RenderReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a results file as JSON, JUnit XML, Markdown or HTML.",
        discussion: """
            JUnit XML has one test suite per check category and one test case per check; Markdown suits a CI \
            step summary; HTML is one self-contained page with the check matrix and, per dtype, the \
            distribution of error relative to the tolerance bound.

              $ gnll report render results.json --format html -o results.html
              $ gnll report render results.json --format markdown >> "$GITHUB_STEP_SUMMARY"
            """)

    @Argument(help: "The results file (from gnll verify --json or gnll report merge).")
    var results: String

    @Option(name: .long, help: "json, junit, markdown or html (default: from the extension of -o).")
    var format: ReportFormat?

    @Option(name: .shortAndLong, help: "Write here, atomically (default: standard output).")
    var output: String?

    @Option(
        name: .customLong("expected-failures"),
        help: "Show the verdict with this expected-failure list applied (not for one shard of a sharded run).")
    var expectedFailures: String?

    func run() throws {
        try checkOutput(output, option: "-o")
        guard let format = format ?? output.flatMap(Self.format(forPath:)) else {
            throw CommandFailure("give --format json|junit|markdown|html (no format goes with the output's extension)")
        }
        let results = try readResults(results)
        var verdict: GatedVerdict?
        if let expectedFailures {
            try results.refuseShard(path: self.results)
            verdict = try readExpectedFailures(expectedFailures).gate(results.report, knownIDs: results.knownIDs)
        }
        let text: String
        do { text = try format.render(results.report, verdict: verdict) } catch {
            throw CommandFailure("cannot render \(self.results): \(error)")
        }
        try writeOutput(text, to: output)
    }

    /// The format a file name's extension suggests.
    static func format(forPath path: String) -> ReportFormat? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "json": .json
        case "xml": .junit
        case "md", "markdown": .markdown
        case "html", "htm": .html
        default: nil
        }
    }
}

/// `gnll report merge`: the results of the shards of one run, as one results file.
struct MergeReports: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the results of the shards of one run into the results of the whole run.",
        discussion: """
            The files must come from one run split with `gnll verify --shard K/N` (same candidate, profile, \
            seed and budget), every shard once; each check's stripes of cases are added back up, the checks \
            come out in the order of an unsharded run, and the summary is counted anew. Prints the closing line "N passed, N failed, N errors, N not run". \
            Exit codes: 0 merged, 2 files that cannot be read or merged.

              $ gnll report merge shard-1.json shard-2.json shard-3.json -o results.json
            """)

    @Argument(help: "The results of each shard.")
    var shards: [String]

    @Option(name: .shortAndLong, help: "Write the merged results here, atomically.")
    var output: String

    func run() throws {
        guard !shards.isEmpty else {
            throw CommandFailure("give the results files of the shards to merge")
        }
        try checkOutput(output, option: "-o")
        let parts = try shards.map { try readResults($0).sharded }
        let merged: VerifyReport
        do { merged = try ReportMerge.merge(parts, labels: shards) } catch {
            throw CommandFailure("\(error)")
        }
        do { try merged.write(to: output) } catch { throw CommandFailure("-o: \(error)") }
        if merged.incomplete { print("the merged results are incomplete: a shard was interrupted") }
        print(GatedVerdict(merged).closingLine)
    }
}

/// `gnll report gate`: a results file's verdict with an expected-failure list applied.
struct GateReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Apply an expected-failure list to a results file and exit with the verdict.",
        discussion: """
            The list has one check id per line; `#` starts a comment, which is the reason. A listed check that \
            fails does not fail the verdict; a listed check that passes does (the list is stale); a listed \
            check that ends in an error still gives no verdict; an id that names no check is a usage error; \
            the results of one shard of a sharded run are refused (merge the shards first). \
            Prints one line per expected, stale or unknown entry, then "N passed, N failed, N errors, N not run". \
            Exit codes: 0 conformant, 1 not conformant, 2 no verdict or a usage error.

              $ gnll report gate results.json --expected-failures expected-failures.txt
            """)

    @Argument(help: "The results file (from gnll verify --json or gnll report merge).")
    var results: String

    @OptionGroup var expected: ExpectedFailuresOptions

    func validate() throws {
        guard expected.path != nil else { throw ValidationError("Give the list: --expected-failures FILE.") }
    }

    func run() throws {
        let results = try readResults(results)
        try results.refuseShard(path: self.results)
        var list = try expected.read()
        if expected.fix {
            let fixed: ExpectedFailures.Fix
            do { fixed = try list.fixAndWrite(for: results.report) } catch { throw CommandFailure(error.message) }
            fixed.lines.forEach { print($0.showingControlCharacters()) }
            list = fixed.list
        }
        try printVerdict(list.gate(results.report, knownIDs: results.knownIDs))
    }
}

/// A results file as read: the report, its shard record if any, and every check id of its run.
struct ResultsFile {
    var sharded: ShardedReport
    var report: VerifyReport { sharded.report }
    /// The checks of the whole run: the shard record's list, or the report's own checks.
    var knownIDs: Set<String> { Set(sharded.shard?.checks ?? report.checks.map(\.id)) }

    /// Refuses the results of one shard of a sharded run, which give no verdict on the run.
    func refuseShard(path: String) throws {
        guard let shard = sharded.shard, shard.count > 1 else { return }
        throw CommandFailure(
            "\(path) holds shard \(shard.index)/\(shard.count) of a sharded run (\(report.checks.count) of its "
                + "\(shard.checks.count) checks), which gives no verdict on the run: merge every shard first (gnll "
                + "report merge shard-*.json -o merged.json), then gate the merged results")
    }
}

/// Reads a results file, or prints why not and exits 2.
func readResults(_ path: String) throws -> ResultsFile {
    do { return ResultsFile(sharded: try ShardedReport.read(from: path)) } catch {
        throw CommandFailure("\(error)")
    }
}

/// Reads an expected-failure list, or prints why not and exits 2.
func readExpectedFailures(_ path: String, missingIsEmpty: Bool = false) throws -> ExpectedFailures {
    do { return try ExpectedFailures.read(from: path, missingIsEmpty: missingIsEmpty) } catch {
        throw CommandFailure("\(error)")
    }
}

/// Prints a verdict (unless `quiet`, only the expected-failure count and the closing line) and ends with its
/// exit code.
func printVerdict(_ verdict: GatedVerdict, quiet: Bool = false) throws {
    // The lines name check ids and list paths, which a results file or a list controls: shown, never obeyed.
    if !quiet { verdict.lines.forEach { print($0.showingControlCharacters()) } }
    if let line = verdict.expectedFailureLine { print(line.showingControlCharacters()) }
    print(verdict.closingLine)
    if verdict.exitCode != 0 { throw ExitCode(verdict.exitCode) }
}

/// Writes text to an output file (``AtomicFile``), or to standard output without a path; exits 2 when it cannot.
func writeOutput(_ text: String, to path: String?) throws {
    do { try AtomicFile.write(Data(text.utf8), to: path ?? "-") } catch { throw CommandFailure("-o: \(error)") }
}

/// Exits 2, naming the option, when an output file cannot be written: checked before the work, so that none
/// is lost.
func checkOutput(_ path: String?, option: String) throws {
    guard let path else { return }
    do { try AtomicFile.checkWritable(path) } catch { throw CommandFailure("\(option): \(error)") }
}
