internal import Conformance
internal import GaussianNLL
internal import Verification

/// One self-contained HTML page: inline CSS and inline SVG only, no scripts, no external resources or fonts.
///
/// The page shows the verdict, the check matrix (categories by outcome), per loss dtype the distribution of
/// |error| / bound over every compared case (from the checks' ``RatioHistogram``s) and the checks with the
/// largest ratios and the failing ones, then each failure with its reproduction, then every check. The
/// markup is well-formed XML as well as HTML, so that XML tools can check it.
struct HTMLRenderer {
    let model: ReportModel

    init(report: VerifyReport, verdict: GatedVerdict) {
        model = ReportModel(report: report, verdict: verdict)
    }

    func render() -> String {
        let headline = model.verdict.outcome.headline
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>\(x("gnll verify: \(headline) — \(model.candidateLine)"))</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <main>

            """
        html += banner
        html += notes
        html += matrix
        html += distributions
        html += failures
        html += allChecks
        html += "<footer>Written by <code>gnll</code> from results schema version \(model.report.schemaVersion)."
        html += " Ratios are |error| / bound under the tolerance model of CONFORMANCE.md.</footer>\n"
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    private func x(_ text: String) -> String { Markup.xml(text) }

    private var banner: String {
        let verdict = model.verdict
        let report = model.report
        let (style, mark) =
            switch verdict.outcome {
            case .conformant: ("pass", "✓")
            case .notConformant: ("fail", "✗")
            case .cannotDecide: ("undecided", "⚠")
            }
        var html = "<header class=\"banner \(style)\">\n"
        html += "<div class=\"verdict\"><span class=\"mark\">\(mark)</span> \(x(verdict.outcome.headline))</div>\n"
        html += "<div class=\"candidate\">\(x(model.candidateLine))</div>\n"
        html += "<div class=\"meta\">profile <b>\(x(report.profile.rawValue))</b> · seed <b>\(report.seed)</b>"
        html += " · budget <b>\(x(report.budget))</b> · \(report.checks.count) checks"
        if report.incomplete { html += " · <b>incomplete: the run was interrupted</b>" }
        html += "</div>\n<div class=\"chips\">"
        for disposition in model.columns {
            let count = verdict.count(disposition)
            guard count > 0 || disposition == .passed || disposition == .failed else { continue }
            html += "<span class=\"chip \(disposition.rawValue)\">\(count) \(x(disposition.label))</span>"
        }
        html += "</div>\n</header>\n"
        return html
    }

    private var notes: String {
        guard !model.verdict.lines.isEmpty else { return "" }
        var html = "<ul class=\"notes\">\n"
        for line in model.verdict.lines { html += "<li>\(x(line))</li>\n" }
        return html + "</ul>\n"
    }

    private var matrix: String {
        let columns = model.columns
        var html = "<section>\n<h2>Checks by category</h2>\n<table class=\"matrix\">\n<thead><tr><th>Category</th>"
        for column in columns { html += "<th>\(x(column.label.capitalizedFirst))</th>" }
        html += "<th>Total</th></tr></thead>\n<tbody>\n"
        for category in model.categories {
            let checks = model.checks(in: category)
            html += "<tr><th>\(x(category))</th>"
            for column in columns { html += cell(checks.count { $0.disposition == column }, column) }
            html += "<td class=\"total\">\(checks.count)</td></tr>\n"
        }
        html += "<tr class=\"totals\"><th>All</th>"
        for column in columns { html += cell(model.verdict.count(column), column) }
        html += "<td class=\"total\">\(model.report.checks.count)</td></tr>\n</tbody>\n</table>\n</section>\n"
        return html
    }

    private func cell(_ count: Int, _ disposition: Disposition) -> String {
        count == 0 ? "<td class=\"zero\">0</td>" : "<td class=\"\(disposition.rawValue)\">\(count)</td>"
    }

    private var distributions: String {
        let dtypes = model.histogramDTypes
        var html = "<section>\n<h2>Error relative to bound, per dtype</h2>\n"
        guard !dtypes.isEmpty else {
            return html + "<p class=\"explain\">No check compared any output with the oracle.</p>\n</section>\n"
        }
        html += "<p class=\"explain\">For every case the judge compared, the worst output's |error| / bound, in bins"
        html += " of powers of two; a case passes at 1 or below. Left: all cases of the dtype, over every check."
        html += " Right: the checks with the largest ratio, and every check with a case over the bound.</p>\n"
        for dtype in dtypes {
            var total = RatioHistogram()
            for check in model.report.checks {
                if let histogram = check.ratioHistograms[dtype] { total.merge(histogram) }
            }
            let cases = total.counts.reduce(0, +)
            let over = total.counts[21] + total.counts[22]
            let checks = model.report.checks.count { $0.ratioHistograms[dtype] != nil }
            html += "<div class=\"dtype\">\n<h3>\(x(dtype)) <small>\(cases) cases in \(counted(checks, "check"))"
            html += " · largest finite ratio \(x(Numbers.ratio(total.maximum)))"
            html += over > 0 ? " · <b class=\"bad\">\(over) over the bound</b>" : " · none over the bound"
            html += "</small></h3>\n<div class=\"plots\">\n<figure>\n"
            html += SVGPlots.histogram(total, dtype: dtype)
            html += "</figure>\n<figure>\n"
            html += SVGPlots.worstChecks(SVGPlots.worst(model.report.checks, dtype: dtype), dtype: dtype)
            html += "</figure>\n</div>\n</div>\n"
        }
        return html + "</section>\n"
    }

    private var failures: String {
        let failures = model.failures
        guard !failures.isEmpty else { return "" }
        var html = "<section>\n<h2>Failures</h2>\n"
        for (result, disposition) in failures {
            html += "<article class=\"failure \(disposition.rawValue)\">\n"
            html += "<h3>\(badge(disposition)) <code>\(x(result.id))</code></h3>\n"
            html += "<p class=\"title\">\(x(result.title))</p>\n"
            if disposition == .staleExpectedFailure {
                let list = model.verdict.listPath.map { " from \(x($0))" } ?? ""
                html += "<p>It passes now: remove it\(list).</p>\n</article>\n"
                continue
            }
            if let failure = result.failure {
                html += "<pre class=\"message\">\(x(failure.message))</pre>\n"
                if let reproduction = failure.reproduction {
                    html += "<p class=\"label\">Reproduce</p>\n<pre class=\"repro\">\(x(reproduction))</pre>\n"
                }
                if let call = failure.call {
                    html += "<details><summary>Smallest failing case"
                    html += " (\(counted(failure.caseSize, "element")))</summary>\n"
                    html += "<pre class=\"case\">\(x(ReportModel.caseJSON(call)))</pre>\n</details>\n"
                }
            }
            html += "</article>\n"
        }
        return html + "</section>\n"
    }

    private var allChecks: String {
        var html = "<section>\n<h2>All checks</h2>\n<table class=\"checks\">\n<thead><tr><th>Check</th>"
        html += "<th>Outcome</th><th class=\"num\">Cases</th><th class=\"num\">Failed</th>"
        html += "<th class=\"num\">Skipped</th><th class=\"num\">Worst ratio</th><th class=\"num\">Bit-exact</th>"
        html += "</tr></thead>\n<tbody>\n"
        for (result, disposition) in model.checks {
            html += "<tr><td><code>\(x(result.id))</code><div class=\"sub\">\(x(result.title))</div></td>"
            html += "<td>\(badge(disposition))</td><td class=\"num\">\(result.cases)</td>"
            html += "<td class=\"num\">\(result.failedCases)</td><td class=\"num\">\(result.skippedCases)</td>"
            let ratioClass = result.worstRatio > 1 ? "num bad" : "num"
            html += "<td class=\"\(ratioClass)\">\(x(Numbers.ratio(result.worstRatio)))</td>"
            if let exact = result.bitExactOutputs, let compared = result.comparedOutputs {
                html += "<td class=\"num\">\(exact)/\(compared)</td>"
            } else {
                html += "<td class=\"num\">–</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n</section>\n"
    }

    private func badge(_ disposition: Disposition) -> String {
        "<span class=\"badge \(disposition.rawValue)\">\(x(disposition.label))</span>"
    }

    static let css = """

        :root { --pass: #15803d; --fail: #b91c1c; --skip: #64748b; --error: #b45309; --xfail: #7c3aed; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f1f5f9; color: #0f172a;
          font: 14px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        main { max-width: 1160px; margin: 0 auto; padding: 20px 24px 40px; }
        code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px; }
        h2 { font-size: 18px; margin: 28px 0 10px; }
        h3 { font-size: 15px; margin: 0 0 6px; }
        h3 small { font-weight: normal; color: #475569; font-size: 13px; margin-left: 6px; }
        section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 4px 18px 16px;
          margin-top: 18px; }
        .banner { border-radius: 10px; padding: 18px 22px; color: #fff; }
        .banner.pass { background: linear-gradient(90deg, #15803d, #16a34a); }
        .banner.fail { background: linear-gradient(90deg, #991b1b, #dc2626); }
        .banner.undecided { background: linear-gradient(90deg, #92400e, #d97706); }
        .verdict { font-size: 30px; font-weight: bold; letter-spacing: 0.3px; }
        .verdict .mark { display: inline-block; width: 40px; height: 40px; line-height: 40px; text-align: center;
          background: rgba(255, 255, 255, 0.22); border-radius: 50%; margin-right: 6px; font-size: 26px; }
        .candidate { font-size: 17px; margin-top: 6px; }
        .meta { opacity: 0.92; margin-top: 2px; }
        .chips { margin-top: 12px; }
        .chip { display: inline-block; background: #fff; border-radius: 999px; padding: 2px 12px; margin: 0 6px 4px 0;
          font-weight: bold; font-size: 13px; }
        .chip.passed { color: var(--pass); } .chip.failed { color: var(--fail); } .chip.not-run { color: var(--skip); }
        .chip.error { color: var(--error); } .chip.expected-failure { color: var(--xfail); }
        .chip.stale-expected-failure { color: var(--fail); }
        .notes { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; margin: 14px 0 0;
          padding: 10px 14px 10px 32px; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace;
          font-size: 12.5px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { padding: 6px 10px; border-bottom: 1px solid #e2e8f0; text-align: left; vertical-align: top; }
        thead th { background: #f8fafc; font-size: 12px; text-transform: uppercase; letter-spacing: 0.4px;
          color: #475569; }
        .matrix td, .matrix thead th { text-align: center; width: 12%; }
        .matrix td { font-weight: bold; font-size: 15px; }
        .matrix td.zero { color: #cbd5e1; font-weight: normal; }
        .matrix td.passed { background: #dcfce7; color: var(--pass); }
        .matrix td.failed, .matrix td.stale-expected-failure { background: #fee2e2; color: var(--fail); }
        .matrix td.not-run { background: #f1f5f9; color: var(--skip); }
        .matrix td.error { background: #fef3c7; color: var(--error); }
        .matrix td.expected-failure { background: #ede9fe; color: var(--xfail); }
        .matrix td.total { color: #334155; }
        .matrix tr.totals th, .matrix tr.totals td { border-top: 2px solid #94a3b8; }
        .explain { color: #475569; margin: 0 0 12px; }
        .dtype { border-top: 1px solid #e2e8f0; padding-top: 12px; margin-top: 12px; }
        .plots { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
        figure { margin: 0; flex: 1 1 520px; }
        svg { max-width: 100%; height: auto; display: block; }
        .bad { color: var(--fail); }
        .badge { display: inline-block; border-radius: 4px; padding: 1px 7px; font-size: 12px; font-weight: bold;
          color: #fff; white-space: nowrap; }
        .badge.passed { background: var(--pass); } .badge.failed { background: var(--fail); }
        .badge.not-run { background: var(--skip); } .badge.error { background: var(--error); }
        .badge.expected-failure { background: var(--xfail); } .badge.stale-expected-failure { background: var(--fail); }
        .failure { border-left: 4px solid var(--fail); padding: 8px 14px; margin: 12px 0; background: #fffafa; }
        .failure.error { border-color: var(--error); background: #fffdf5; }
        .failure.expected-failure { border-color: var(--xfail); background: #faf8ff; }
        .failure .title { margin: 0 0 6px; color: #334155; }
        pre { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 6px; overflow-x: auto;
          white-space: pre-wrap; word-break: break-word; margin: 4px 0 8px; }
        pre.message { background: #fef2f2; color: #7f1d1d; border: 1px solid #fecaca; }
        .label { margin: 6px 0 0; font-weight: bold; font-size: 12px; color: #475569; }
        details summary { cursor: pointer; color: #1d4ed8; margin: 4px 0; }
        .checks td.num, .checks th.num { text-align: right; white-space: nowrap; }
        .checks .sub { color: #64748b; font-size: 12px; }
        footer { color: #64748b; font-size: 12px; margin-top: 20px; }

        """
}
