public import Conformance
internal import Foundation
internal import GaussianNLL
public import Verification

/// The formats a results report can be rendered in.
///
/// ```swift
/// let report = try VerifyReport.read(from: "results.json")
/// let html = try render(report, as: .html)
/// ```
///
/// ```console
/// $ gnll report render results.json --format junit -o results.xml
/// ```
public enum ReportFormat: String, CaseIterable, Sendable {
    /// The results file itself (`Schemas/results.schema.json`), pretty-printed with sorted keys.
    case json
    /// JUnit XML, as Jenkins, GitLab and GitHub test reporters read it: one test suite per check category,
    /// one test case per check.
    case junit
    /// Markdown for a CI step summary: the verdict, a table of categories, the failures with reproductions.
    case markdown
    /// One self-contained HTML page (inline CSS and SVG, no scripts, no external resources): the verdict,
    /// the check matrix, and per dtype the distribution of error relative to bound and the worst checks.
    case html

    /// The usual file name extension.
    public var fileExtension: String {
        switch self {
        case .json: "json"
        case .junit: "xml"
        case .markdown: "md"
        case .html: "html"
        }
    }

    /// Renders a report in this format.
    ///
    /// - Parameter verdict: The verdict with expected failures applied (``ExpectedFailures/gate(_:knownIDs:)``);
    ///   by default the report's plain verdict. JUnit shows expected failures as skipped test cases and stale
    ///   entries as failures; Markdown and HTML show them in their own columns. JSON ignores it.
    public func render(_ report: VerifyReport, verdict: GatedVerdict? = nil) throws -> String {
        let verdict = verdict ?? GatedVerdict(report)
        switch self {
        case .json: return String(decoding: try report.jsonData(), as: UTF8.self) + "\n"
        case .junit: return JUnitRenderer(report: report, verdict: verdict).render()
        case .markdown: return MarkdownRenderer(report: report, verdict: verdict).render()
        case .html: return HTMLRenderer(report: report, verdict: verdict).render()
        }
    }
}

/// Renders a report in a format; see ``ReportFormat``.
public func render(_ report: VerifyReport, as format: ReportFormat, verdict: GatedVerdict? = nil) throws -> String {
    try format.render(report, verdict: verdict)
}

/// What every renderer needs: the checks with their dispositions, grouped by category.
struct ReportModel {
    let report: VerifyReport
    let verdict: GatedVerdict

    init(report: VerifyReport, verdict: GatedVerdict) {
        self.report = report
        // A verdict computed for another report cannot be matched check by check; fall back to the plain one.
        self.verdict = verdict.dispositions.count == report.checks.count ? verdict : GatedVerdict(report)
    }

    /// The checks with their dispositions, in report order.
    var checks: [(result: CheckResult, disposition: Disposition)] {
        Array(zip(report.checks, verdict.dispositions))
    }

    /// Categories in the order they first appear.
    var categories: [String] {
        var seen = Set<String>()
        return report.checks.map(\.category).filter { seen.insert($0).inserted }
    }

    /// The checks of one category.
    func checks(in category: String) -> [(result: CheckResult, disposition: Disposition)] {
        checks.filter { $0.result.category == category }
    }

    /// The dispositions that occur, or could occur, and so get a column: expected failures and stale
    /// entries only when a list was applied.
    var columns: [Disposition] {
        verdict.listPath == nil && verdict.expectedFailures.isEmpty && verdict.staleExpectedFailures.isEmpty
            ? [.passed, .failed, .notRun, .error] : Disposition.allCases
    }

    /// The checks to explain in detail: those that fail the verdict, then the expected failures.
    var failures: [(result: CheckResult, disposition: Disposition)] {
        checks.filter { $0.disposition.failsVerdict } + checks.filter { $0.disposition == .expectedFailure }
    }

    /// "gnll-reference 1", the candidate's name and version.
    var candidateLine: String {
        let candidate = report.candidate
        return candidate.version.isEmpty ? candidate.name : "\(candidate.name) \(candidate.version)"
    }

    /// The loss dtypes that have histograms, in the order float16, bfloat16, float32, float64, then others.
    var histogramDTypes: [String] {
        let present = Set(report.checks.flatMap(\.ratioHistograms.keys))
        let known = ["float16", "bfloat16", "float32", "float64"]
        return known.filter(present.contains) + present.subtracting(known).sorted()
    }

    /// The case, as pretty JSON, for failure details. Tensor data longer than `dataLimit` base64 characters
    /// is shortened, with a note, so that one large case does not swamp a report: the results file holds it
    /// whole.
    static func caseJSON(_ record: CaseRecord, dataLimit: Int = 96) -> String {
        var shown = record
        var shortened = false
        func shorten(_ tensor: inout TensorRecord) {
            guard tensor.data.count > dataLimit else { return }
            tensor.data = "\(tensor.data.prefix(dataLimit))… (\(tensor.data.count - dataLimit) more characters)"
            shortened = true
        }
        shorten(&shown.input)
        shorten(&shown.target)
        if case .tensor(var variance) = shown.variance {
            shorten(&variance)
            shown.variance = .tensor(variance)
        }
        if var gradOutput = shown.gradOutput {
            shorten(&gradOutput)
            shown.gradOutput = gradOutput
        }
        // One member a line, each value compact: readable, and still JSON to paste into a replay.
        func json(_ value: some Encodable) -> String {
            (try? ResultsCoding.encode(value, pretty: false)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        var members = [
            ("eps", json(shown.eps)), ("full", json(shown.full)), ("grad", json(shown.grad)),
            ("input", json(shown.input)), ("reduction", json(shown.reduction)), ("target", json(shown.target)),
            ("var", json(shown.variance)),
        ]
        if let gradOutput = shown.gradOutput { members.append(("grad_output", json(gradOutput))) }
        let json = "{\n" + members.sorted { $0.0 < $1.0 }.map { "  \"\($0)\": \($1)" }.joined(separator: ",\n") + "\n}"
        return shortened ? json + "\n(tensor data shortened here; the results file holds the whole case)" : json
    }
}
