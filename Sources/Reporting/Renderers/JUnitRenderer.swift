internal import Conformance
internal import GaussianNLL
internal import Verification

/// JUnit XML in the Ant/Jenkins shape: `<testsuites>` holds one `<testsuite>` per check category, each
/// with one `<testcase>` per check (`classname` `gnll.CATEGORY`, `name` the check id).
///
/// A failed check has a `<failure>` whose message is the first line of the failure and whose text holds
/// the whole message, the smallest failing case as JSON and the command that reproduces it; a check that
/// could not run has an `<error>`, one that judged no case a `<failure>` of type `not-run`. An expected failure is `<skipped>` with its
/// failure in `<system-out>`; a stale expected-failure entry is a `<failure>` of type
/// `stale-expected-failure`. No times are given: the results do not record them.
struct JUnitRenderer {
    let model: ReportModel

    init(report: VerifyReport, verdict: GatedVerdict) {
        model = ReportModel(report: report, verdict: verdict)
    }

    func render() -> String {
        let report = model.report
        let all = model.checks
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites\(attributes(name: "gnll verify: \(model.candidateLine) under \(report.profile)", all))>\n"
        for (index, category) in model.categories.enumerated() {
            let checks = model.checks(in: category)
            let skipped = checks.count { $0.disposition == .expectedFailure }
            xml += "  <testsuite\(attributes(name: category, checks)) skipped=\"\(skipped)\""
            xml += " id=\"\(index)\" package=\"gnll\">\n"
            xml += "    <properties>\n"
            for (name, value) in properties {
                xml += "      <property name=\"\(Markup.xml(name, attribute: true))\""
                xml += " value=\"\(Markup.xml(value, attribute: true))\"/>\n"
            }
            xml += "    </properties>\n"
            for (result, disposition) in checks { xml += testcase(result, disposition) }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    /// `name`, `tests`, `failures` and `errors`, with a leading space.
    private func attributes(name: String, _ checks: [(result: CheckResult, disposition: Disposition)]) -> String {
        let failures = checks.count {
            $0.disposition == .failed || $0.disposition == .staleExpectedFailure || $0.disposition == .notRun
        }
        let errors = checks.count { $0.disposition == .error }
        return " name=\"\(Markup.xml(name, attribute: true))\" tests=\"\(checks.count)\" failures=\"\(failures)\""
            + " errors=\"\(errors)\""
    }

    private var properties: [(String, String)] {
        let report = model.report
        var properties = [
            ("candidate", model.candidateLine), ("profile", report.profile.rawValue), ("seed", "\(report.seed)"),
            ("budget", report.budget), ("verdict", model.verdict.outcome.headline),
        ]
        if report.incomplete { properties.append(("incomplete", "true")) }
        if let list = model.verdict.listPath { properties.append(("expected-failures", list)) }
        return properties
    }

    private func testcase(_ result: CheckResult, _ disposition: Disposition) -> String {
        let name = Markup.xml(result.id, attribute: true)
        let classname = Markup.xml("gnll.\(result.category)", attribute: true)
        var xml = "    <testcase name=\"\(name)\" classname=\"\(classname)\""
        let message = result.failure?.message ?? ""
        var out = [result.title, statistics(result)]
        switch disposition {
        case .passed:
            break
        case .notRun:
            xml += ">\n" + element("failure", type: "not-run", message: message, body: details(result))
        case .failed:
            xml += ">\n" + element("failure", type: "nonconformance", message: message, body: details(result))
        case .error:
            xml += ">\n" + element("error", type: "check-error", message: message, body: details(result))
        case .expectedFailure:
            let listed = model.verdict.listPath.map { " (listed in \($0))" } ?? ""
            let summary = "expected failure\(listed): \(message.firstLine)".truncated(to: 300)
            xml += ">\n      <skipped message=\"\(Markup.xml(summary, attribute: true))\"/>\n"
            out.append(details(result))
        case .staleExpectedFailure:
            let listed = model.verdict.listPath.map { " in \($0)" } ?? ""
            let text = "listed as an expected failure\(listed), but it passes now: remove it from the list"
            xml += ">\n" + element("failure", type: "stale-expected-failure", message: text, body: text)
        }
        if disposition == .passed { xml += ">\n" }
        xml += "      <system-out>\(Markup.xml(out.joined(separator: "\n\n")))</system-out>\n"
        xml += "    </testcase>\n"
        return xml
    }

    private func element(_ name: String, type: String, message: String, body: String) -> String {
        let summary = Markup.xml(message.firstLine.truncated(to: 300), attribute: true)
        return "      <\(name) message=\"\(summary)\" type=\"\(type)\">\(Markup.xml(body))</\(name)>\n"
    }

    /// The failure message, the smallest failing case and the reproduction.
    private func details(_ result: CheckResult) -> String {
        guard let failure = result.failure else { return "" }
        var parts = [failure.message]
        if let call = failure.call {
            parts.append(
                "Smallest failing case (\(counted(failure.caseSize, "element"))):\n"
                    + ReportModel.caseJSON(call))
        }
        if let reproduction = failure.reproduction { parts.append("Reproduce:\n  \(reproduction)") }
        return parts.joined(separator: "\n\n")
    }

    private func statistics(_ result: CheckResult) -> String {
        var line =
            "\(result.cases) cases: \(result.passedCases) passed, \(result.failedCases) failed,"
            + " \(result.skippedCases) skipped; worst |error|/bound \(Numbers.ratio(result.worstRatio))"
        if let exact = result.bitExactOutputs, let compared = result.comparedOutputs {
            line += "; \(exact) of \(compared) outputs bitwise identical to PyTorch's"
        }
        if result.messageMismatches > 0 {
            line += "; \(counted(result.messageMismatches, "rejection message")) differ from PyTorch's"
        }
        return line
    }
}
