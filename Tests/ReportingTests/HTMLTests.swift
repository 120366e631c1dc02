import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Reporting
import Testing
import Verification

@Suite("HTML report")
struct HTMLTests {
    /// The fake suite's run: failures of several kinds, an error, skipped cases, histograms for all four dtypes.
    static func report() throws -> VerifyReport {
        let report = try FakeSuite.report()
        let dtypes = Set(report.checks.flatMap(\.ratioHistograms.keys))
        #expect(dtypes == Set(DType.floatingCases.map(\.rawValue)))
        return report
    }

    @Test("Self-contained: no scripts, no external references, every SVG closed")
    func selfContained() throws {
        var report = try Self.report()
        // A link in text is text: it must come out escaped, never as a reference.
        report.checks[0].title += " (see https://example.com/<script>)"
        let html = try render(report, as: .html)
        #expect(!html.lowercased().contains("<script"))
        #expect(html.contains("see https://example.com/&lt;script&gt;"))
        for marker in ["<link", "<img", "<iframe", "<object", "@import", "url(", "@font-face", " src=", " href="] {
            #expect(!html.contains(marker), "\(marker)")
        }
        #expect(Self.urlsInsideTags(html).isEmpty, "\(Self.urlsInsideTags(html))")
        let opened = html.components(separatedBy: "<svg").count - 1
        let closed = html.components(separatedBy: "</svg>").count - 1
        #expect(opened == closed)
        #expect(opened == 8)  // a histogram and a worst-checks chart for each of four dtypes
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
    }

    @Test("The page shows the verdict, the matrix, the plots, the failures and every check")
    func content() throws {
        let report = try Self.report()
        let html = try render(report, as: .html)
        #expect(html.contains("<header class=\"banner undecided\">"))
        #expect(html.contains("<h2>Checks by category</h2>"))
        #expect(html.contains("<h2>Error relative to bound, per dtype</h2>"))
        for dtype in DType.floatingCases { #expect(html.contains("<h3>\(dtype.rawValue) <small>")) }
        #expect(html.contains(">bound</text>"))
        #expect(html.contains("cases (log scale)"))
        for check in report.checks {
            #expect(html.contains("<code>\(check.id)</code>"))
            if check.status == .failed, let reproduction = check.failure?.reproduction {
                #expect(html.contains(reproduction))
            }
        }
    }

    @Test(
        "The page is well-formed XML",
        .enabled(if: ExternalTool.xmllint != nil, "xmllint is not installed (Debian: libxml2-utils)"))
    func wellFormed() throws {
        let folder = try artifactsFolder("html-xml")
        var files = [String]()
        for (name, report) in [("fake-suite", try Self.report()), ("handmade", try handmadeReport())] {
            let path = folder.appendingPathComponent("\(name).html").path
            try render(report, as: .html).write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let xml = try ExternalTool.run(ExternalTool.xmllint!, ["--noout", "--nonet"] + files)
        #expect(xml.status == 0, "\(xml.output)")
        let html = try ExternalTool.run(ExternalTool.xmllint!, ["--noout", "--nonet", "--html"] + files)
        #expect(html.status == 0, "\(html.output)")
    }

    @Test(
        "Chromium renders it: a screenshot of the page",
        .enabled(if: ExternalTool.chromium != nil, "chromium is not installed (Debian: chromium)"))
    func screenshot() throws {
        let folder = try artifactsFolder("html-screenshot")
        let report = try Self.report()
        let list = try ExpectedFailures.parse("property.float32_mean  # known\n", path: "expected-failures.txt")
        let page = folder.appendingPathComponent("report.html")
        try render(report, as: .html, verdict: list.gate(report)).write(to: page, atomically: true, encoding: .utf8)
        let png = folder.appendingPathComponent("report.png")
        let outcome = try ExternalTool.run(
            ExternalTool.chromium!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
                "--screenshot=\(png.path)", "--window-size=1200,1600", page.absoluteString,
            ], timeout: 180)
        #expect(outcome.status == 0, "\(outcome.output)")
        let data = try Data(contentsOf: png)
        #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height, big-endian, at bytes 16 and 20.
        let width = data[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = data[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1200 && height == 1600)
        // A blank or nearly blank page compresses to a few kilobytes; this one has text, tables and charts.
        #expect(data.count > 60_000, "\(data.count) bytes")
    }

    /// The `http://` and `https://` inside tags (in attribute values), where they would be references.
    static func urlsInsideTags(_ html: String) -> [String] {
        var found = [String]()
        var insideTag = false
        var index = html.startIndex
        while index < html.endIndex {
            let character = html[index]
            if character == "<" {
                insideTag = true
            } else if character == ">" {
                insideTag = false
            } else if insideTag && (html[index...].hasPrefix("http://") || html[index...].hasPrefix("https://")) {
                found.append(String(html[index...].prefix(40)))
            }
            index = html.index(after: index)
        }
        return found
    }
}
