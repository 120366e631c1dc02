import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Reporting
import Testing
import Verification

/// A small report with one check of each status, a failure with a scalar var, and hostile text.
func handmadeReport() throws -> VerifyReport {
    var passed = CheckResult(id: "golden.dtypes", category: "golden", title: "PyTorch's outcomes are reproduced")
    passed.status = .passed
    passed.cases = 10
    passed.passedCases = 10
    passed.bitExactOutputs = 9
    passed.comparedOutputs = 10
    passed.worstRatio = 0.25
    for dtype in DType.floatingCases {
        var histogram = RatioHistogram()
        for ratio in [0, 1e-9, 0.001, 0.25, 0.5] { histogram.add(ratio) }
        passed.ratioHistograms[dtype.rawValue] = histogram
    }
    let call = LossCase(
        input: try Tensor(dtype: .float16, shape: [2], values: [1, -2]),
        target: try Tensor(dtype: .float16, shape: [2], values: [0.5, 3]), variance: .scalar(-.infinity),
        eps: .nan, reduction: "sum", gradOutput: .scalar(1, dtype: .float16))
    var failed = CheckResult(
        id: "property.weird<&>\"id\"", category: "errors & <rejections>", title: "Title with ]]> and \u{1B}[31m")
    failed.status = .failed
    failed.cases = 3
    failed.passedCases = 1
    failed.failedCases = 2
    failed.worstRatio = .infinity
    failed.failure = CheckFailure(
        message: "case 3: loss 1.5 differs: bell \u{07}, nul \u{00}, tab\tand\r\nnew line; ``` fence; <b>|x|</b>",
        call: CaseRecord(call), caseSize: 5, reproduction: "gnll verify --check 'property.weird<&>\"id\"'")
    var histogram = RatioHistogram()
    histogram.add(2)
    histogram.add(.nan)
    failed.ratioHistograms["float16"] = histogram
    var skipped = CheckResult(id: "property.bf16", category: "property", title: "bfloat16 cases")
    skipped.cases = 4
    skipped.skippedCases = 4
    skipped.finish(notRunReason: "every case needs bfloat16")
    let error = CheckResult.error(
        id: "golden.unreadable", category: "golden", title: "An unreadable golden file", message: "HDF5: bad magic")
    return VerifyReport(
        candidate: CandidateInfo(name: "my-loss", version: "1.0"), profile: .current, seed: UInt64.max,
        budget: "quick", checks: [passed, failed, skipped, error])
}

@Suite("Rendering")
struct RenderingTests {
    @Test("JSON is the results file, and reads back")
    func json() throws {
        let report = try handmadeReport()
        let text = try render(report, as: .json)
        let decoded = try JSONDecoder.results.decode(VerifyReport.self, from: Data(text.utf8))
        #expect(decoded.checks.map(\.id) == report.checks.map(\.id))
        #expect(decoded.summary == report.summary)
        #expect(text.contains("\"worstRatio\" : \"inf\""))
        #expect(text.contains("\"seed\" : 18446744073709551615"))
    }

    @Test("Formats name their usual extensions")
    func extensions() {
        #expect(ReportFormat.allCases.map(\.fileExtension) == ["json", "xml", "md", "html"])
    }

    @Test("JUnit: one suite per category, one case per check, failures with case and reproduction")
    func junitStructure() throws {
        let report = try handmadeReport()
        let xml = try render(report, as: .junit)
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "))
        #expect(xml.components(separatedBy: "<testsuite ").count - 1 == 3)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == 4)
        #expect(
            xml.contains(
                "<testsuites name=\"gnll verify: my-loss 1.0 under torch-2.10\" tests=\"4\" failures=\"2\" errors=\"1\""
            ))
        // A check that judged no case did not run: a failure, with why.
        #expect(xml.contains("<failure message=\"not run: every case needs bfloat16\" type=\"not-run\">"))
        #expect(xml.contains("<error message=\"HDF5: bad magic\" type=\"check-error\">"))
        // The failure: summary in the attribute, with line breaks and quotes as references.
        #expect(xml.contains("name=\"property.weird&lt;&amp;&gt;&quot;id&quot;\""))
        let summary = "case 3: loss 1.5 differs: bell ␇, nul ␀, tab&#9;and"
        #expect(xml.contains("<failure message=\"\(summary)\" type=\"nonconformance\">"))
        let text =
            ">case 3: loss 1.5 differs: bell ␇, nul ␀, tab\tand&#13;\nnew line; ``` fence; &lt;b&gt;|x|&lt;/b&gt;"
        #expect(xml.contains(text))
        // Its text: the message, the case as JSON, and the reproduction.
        #expect(xml.contains("Smallest failing case (5 elements):"))
        #expect(xml.contains("\"var\": {\"scalar\":\"-inf\"}"))
        #expect(xml.contains("Reproduce:\n  gnll verify --check 'property.weird&lt;&amp;&gt;\"id\"'"))
        #expect(xml.contains("]]&gt; and ␛[31m"))
        for forbidden in ["\u{00}", "\u{07}", "\u{1B}"] { #expect(!xml.contains(forbidden)) }
    }

    @Test(
        "JUnit validates against the JUnit XSD",
        .enabled(if: ExternalTool.xmllint != nil, "xmllint is not installed (Debian: libxml2-utils)"))
    func junitValidates() throws {
        let folder = try artifactsFolder("junit")
        let schema = try fixture("junit.xsd").path
        var files = [String]()
        let list = try ExpectedFailures.parse("property.float32_mean\nproperty.float64_sum\n", path: "xfail.txt")
        for (name, report, verdict) in [
            ("handmade", try handmadeReport(), nil),
            ("fake-suite", try FakeSuite.report(), nil),
            ("fake-suite-gated", try FakeSuite.report(), list.gate(try FakeSuite.report())),
            (
                "empty",
                VerifyReport(
                    candidate: CandidateInfo(name: "x", version: ""), profile: .torch1_8, seed: 0,
                    budget: "quick"), nil
            ),
        ] as [(String, VerifyReport, GatedVerdict?)] {
            let path = folder.appendingPathComponent("\(name).xml").path
            try render(report, as: .junit, verdict: verdict).write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        // Attribute values keep their tabs and line breaks as character references.
        let fake = try String(contentsOfFile: files[1], encoding: .utf8)
        #expect(
            fake.contains(
                "value=\"corrupting-reference 0.1 &lt;test&gt; &amp; &quot;quotes&quot;&#9;and&#10;a newline\""))
        let outcome = try ExternalTool.run(ExternalTool.xmllint!, ["--noout", "--schema", schema] + files)
        #expect(outcome.status == 0, "\(outcome.output)")
        for file in files { #expect(outcome.output.contains("\(file) validates"), "\(outcome.output)") }
    }

    @Test(
        "The XSD rejects what is not JUnit XML",
        .enabled(if: ExternalTool.xmllint != nil, "xmllint is not installed (Debian: libxml2-utils)"))
    func junitSchemaRejects() throws {
        let folder = try artifactsFolder("junit-invalid")
        let path = folder.appendingPathComponent("bad.xml").path
        try "<testsuites><testsuite name=\"a\" tests=\"-1\"><testcase/></testsuite></testsuites>\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = try ExternalTool.run(
            ExternalTool.xmllint!, ["--noout", "--schema", try fixture("junit.xsd").path, path])
        #expect(outcome.status != 0)
        #expect(outcome.output.contains("fails to validate"))
    }

    @Test("JUnit: an expected failure is skipped, a stale entry is a failure")
    func junitGated() throws {
        let report = try handmadeReport()
        let list = try ExpectedFailures.parse("property.weird<&>\"id\"\ngolden.dtypes  # fixed since\n", path: "x.txt")
        let xml = try render(report, as: .junit, verdict: list.gate(report))
        #expect(xml.contains("<skipped message=\"expected failure (listed in x.txt): case 3: loss 1.5 differs"))
        #expect(xml.contains("type=\"stale-expected-failure\""))
        #expect(xml.contains("<property name=\"verdict\" value=\"No verdict\"/>"))
    }

    @Test("Markdown: the verdict first, then the category table, then failures with reproductions")
    func markdown() throws {
        let report = try FakeSuite.report()
        let markdown = try render(report, as: .markdown)
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let summary = report.summary
        let errors = "\(summary.errors) error\(summary.errors == 1 ? "" : "s")"
        let closing = "\(summary.passed) passed, \(summary.failed) failed, \(errors), \(summary.skipped) not run"
        #expect(lines[0] == "## ⚠️ No verdict: \(closing)")
        let table = try #require(lines.firstIndex(of: "| Category | Passed | Failed | Not run | Error |"))
        #expect(lines[table + 1] == "| --- | ---: | ---: | ---: | ---: |")
        #expect(lines.contains { $0.hasPrefix("| golden | ") })
        #expect(lines.contains { $0.hasPrefix("| **Total** | **\(summary.passed)** | **\(summary.failed)** | ") })
        let failures = try #require(lines.firstIndex(of: "### Failures"))
        #expect(failures > table)
        for check in report.checks where check.status == .failed || check.status == .error {
            #expect(markdown.contains("`\(check.id)` (\(check.status == .error ? "error" : "failed"))"))
            if let reproduction = check.failure?.reproduction {
                #expect(markdown.contains("Reproduce:\n\n```sh\n\(reproduction)\n```"))
            }
        }
        #expect(markdown.contains("<summary>Smallest failing case ("))
    }

    @Test("Markdown: hostile text stays inert")
    func markdownEscaping() throws {
        let markdown = try render(try handmadeReport(), as: .markdown)
        #expect(markdown.contains("| errors \\& \\<rejections\\> |"))
        // The message holds a run of three backticks, so its fence is four long.
        #expect(markdown.contains("````text\ncase 3: loss 1.5 differs"))
        #expect(markdown.contains("#### ❌ `property.weird<&>\"id\"` (failed)"))
    }

    @Test("Candidate text with terminal controls is shown in every format, never emitted")
    func controlCharacters() throws {
        // A rejection message and a stderr tail that set the terminal's title, ring its bell, colour it with the
        // one-byte CSI (U+009B) and delete with DEL.
        let hostile = "case 1: rejected: \u{1B}]0;pwned\u{07} then \u{9B}31mred\u{7F}\r over"
        var failed = CheckResult(id: "golden.errors", category: "golden", title: "errors")
        failed.status = .failed
        failed.failure = CheckFailure(message: hostile, call: nil, caseSize: 1, reproduction: nil)
        let report = VerifyReport(
            candidate: CandidateInfo(name: "evil\u{1B}[2J", version: "1"), profile: .current, seed: 1,
            budget: "quick", checks: [failed])
        for format in [ReportFormat.markdown, .html, .junit] {
            let text = try render(report, as: format)
            for control in ["\u{1B}", "\u{07}", "\u{9B}", "\u{7F}", "\r"] {
                #expect(!text.contains(control), "\(format) emits \(control.unicodeScalars.first!.value)")
            }
            #expect(text.contains("␛]0;pwned␇ then \\u{9B}31mred␡"), "\(format)")
        }
        #expect(try render(report, as: .markdown).contains("evil␛\\[2J"))
        #expect("a\tb\nc\u{1B}".showingControlCharacters(keepingTabs: false) == "a␉b\nc␛")
    }

    @Test("Markdown: conformant, and gated")
    func markdownVerdicts() throws {
        var passing = try handmadeReport()
        passing = VerifyReport(
            candidate: passing.candidate, profile: passing.profile, seed: 1, budget: "quick",
            checks: [passing.checks[0]])
        #expect(
            try render(passing, as: .markdown).hasPrefix("## ✅ Conformant: 1 passed, 0 failed, 0 errors, 0 not run\n"))

        let report = try FakeSuite.report()
        let failing = report.checks.filter { $0.status == .failed || $0.status == .skipped }.map(\.id)
        let errors = report.checks.filter { $0.status == .error }
        let withoutErrors = VerifyReport(
            candidate: report.candidate, profile: report.profile, seed: report.seed, budget: report.budget,
            checks: report.checks.filter { $0.status != .error })
        #expect(!errors.isEmpty && !failing.isEmpty)
        let list = try ExpectedFailures.parse(failing.joined(separator: "\n"), path: "xfail.txt")
        let gated = try render(withoutErrors, as: .markdown, verdict: list.gate(withoutErrors))
        #expect(gated.hasPrefix("## ✅ Conformant: "))
        #expect(gated.contains("\(failing.count) expected failure"))
        #expect(gated.contains("| Category | Passed | Failed | Expected failure | Stale expected failure |"))
    }
}
