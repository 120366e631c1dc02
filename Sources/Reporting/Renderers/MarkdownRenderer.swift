internal import Conformance
internal import GaussianNLL
internal import Verification

/// Markdown for a CI step summary (GitHub's `$GITHUB_STEP_SUMMARY`, GitLab's reports): the verdict on the
/// first line, then a table of check categories by outcome, then each failure with its message, its
/// smallest failing case and the command that reproduces it.
struct MarkdownRenderer {
    let model: ReportModel

    init(report: VerifyReport, verdict: GatedVerdict) {
        model = ReportModel(report: report, verdict: verdict)
    }

    func render() -> String {
        var lines = [verdictLine, ""]
        lines.append(summaryLine)
        lines.append("")
        if !model.verdict.lines.isEmpty {
            lines += model.verdict.lines.map { "- \(Markup.markdown($0))" }
            lines.append("")
        }
        lines += matrix
        let failures = model.failures
        if !failures.isEmpty {
            lines.append("")
            lines.append("### Failures")
            for (result, disposition) in failures {
                lines.append("")
                lines += section(result, disposition)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `## ✅ Conformant: …`, `## ❌ Not conformant: …` or `## ⚠️ No verdict: …`.
    var verdictLine: String {
        let verdict = model.verdict
        let mark =
            switch verdict.outcome {
            case .conformant: "✅"
            case .notConformant: "❌"
            case .cannotDecide: "⚠️"
            }
        var line = "## \(mark) \(verdict.outcome.headline): \(verdict.closingLine)"
        if let expected = verdict.expectedFailureLine { line += ", \(Markup.markdown(expected))" }
        return line
    }

    private var summaryLine: String {
        let report = model.report
        var line =
            "**\(Markup.markdown(model.candidateLine))** under profile `\(report.profile)`, seed \(report.seed),"
            + " budget \(Markup.markdown(report.budget))"
        if report.incomplete { line += " — **the run was interrupted: the results are incomplete**" }
        return line
    }

    private var matrix: [String] {
        let columns = model.columns
        var lines = [
            "| Category | " + columns.map { $0.label.capitalizedFirst }.joined(separator: " | ") + " |",
            "| --- |" + String(repeating: " ---: |", count: columns.count),
        ]
        for category in model.categories {
            let checks = model.checks(in: category)
            let cells = columns.map { column in cell(checks.count { $0.disposition == column }, column) }
            lines.append("| \(Markup.markdown(category)) | " + cells.joined(separator: " | ") + " |")
        }
        let totals = columns.map { column in "**\(model.verdict.count(column))**" }
        lines.append("| **Total** | " + totals.joined(separator: " | ") + " |")
        return lines
    }

    private func cell(_ count: Int, _ disposition: Disposition) -> String {
        count > 0 && disposition.failsVerdict ? "**\(count)**" : "\(count)"
    }

    private func section(_ result: CheckResult, _ disposition: Disposition) -> [String] {
        let mark =
            switch disposition {
            case .error: "⚠️"
            case .expectedFailure: "☑️"
            default: "❌"
            }
        var lines = ["#### \(mark) `\(result.id)` (\(disposition.label))", "", Markup.markdown(result.title)]
        if disposition == .staleExpectedFailure {
            let list = model.verdict.listPath.map { " from \(Markup.markdown($0))" } ?? ""
            lines += ["", "It passes now: remove it\(list)."]
            return lines
        }
        guard let failure = result.failure else { return lines }
        lines += ["", Markup.markdownCodeBlock(failure.message, language: "text").dropLastNewline]
        if let call = failure.call {
            lines += [
                "", "<details><summary>Smallest failing case (\(counted(failure.caseSize, "element")))</summary>",
                "", Markup.markdownCodeBlock(ReportModel.caseJSON(call), language: "json").dropLastNewline, "",
                "</details>",
            ]
        }
        if let reproduction = failure.reproduction {
            lines += ["", "Reproduce:", "", Markup.markdownCodeBlock(reproduction, language: "sh").dropLastNewline]
        }
        return lines
    }
}

extension String {
    /// The text with its first character uppercased.
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }

    /// The text without one final line feed.
    var dropLastNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
