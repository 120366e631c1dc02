import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing
import Verification

/// A report of checks with the given statuses, a failure message for each failed one.
func report(_ statuses: KeyValuePairs<String, CheckStatus>, incomplete: Bool = false) -> VerifyReport {
    var report = VerifyReport(
        candidate: CandidateInfo(name: "c", version: "1"), profile: .current, seed: 1, budget: "quick",
        checks: statuses.map { id, status in
            var result = CheckResult(id: id, category: String(id.split(separator: ".")[0]), title: "Check \(id)")
            result.status = status
            if status == .skipped {
                result.failure = CheckFailure(
                    message: "not run: \(id) needs what the candidate lacks", call: nil, caseSize: 0, reproduction: nil)
            }
            if status == .failed || status == .error {
                result.failure = CheckFailure(
                    message: "\(id) is off by 3 ulp\nsecond line", call: nil, caseSize: 1,
                    reproduction: "gnll verify --check \(id)")
            }
            return result
        })
    report.incomplete = incomplete
    return report
}

@Suite("Expected failures")
struct ExpectedFailuresTests {
    @Test("Parsing: ids, comments as reasons, blank lines")
    func parse() throws {
        let text = """
            # Expected failures of my-loss.

            # float32 accumulation
            golden.reduction
            property.sum   # overflows in float16
            # rounds twice
            property.mean
            \t
            property.none#no space
            """
        let list = try ExpectedFailures.parse(text, path: "xfail.txt")
        #expect(list.entries.map(\.id) == ["golden.reduction", "property.sum", "property.mean", "property.none"])
        #expect(list.entries.map(\.line) == [4, 5, 7, 9])
        #expect(
            list.entries.map(\.reason) == ["float32 accumulation", "overflows in float16", "rounds twice", "no space"])
        #expect(list.text == text)
        #expect(try ExpectedFailures.parse("", path: "x").entries.isEmpty)
        #expect(try ExpectedFailures.parse("# only a comment\n\n", path: "x").entries.isEmpty)
    }

    @Test("Parsing: CRLF line endings are kept")
    func crlf() throws {
        let list = try ExpectedFailures.parse("a.b # why\r\nc.d\r\n", path: "x")
        #expect(list.entries.map(\.id) == ["a.b", "c.d"])
        #expect(list.text == "a.b # why\r\nc.d\r\n")
    }

    @Test("Parsing errors name the file and line")
    func parseErrors() {
        #expect(
            throws: ExpectedFailuresError(
                path: "xfail.txt", line: 3,
                message: "expected one check id per line, found 2 words: 'golden.a golden.b' (a reason goes after '#')")
        ) {
            try ExpectedFailures.parse("# x\ngolden.z\ngolden.a golden.b  # two\n", path: "xfail.txt")
        }
        #expect(
            throws: ExpectedFailuresError(
                path: "xfail.txt", line: 4, message: "'golden.a' is listed twice (first on line 1)")
        ) {
            try ExpectedFailures.parse("golden.a\ngolden.b\n\ngolden.a # again\n", path: "xfail.txt")
        }
        let error = ExpectedFailuresError(path: "xfail.txt", line: 4, message: "m")
        #expect(error.description == "xfail.txt:4: m")
    }

    @Test("Reading: a missing file is an error, or an empty list for --fix-expected-failures")
    func read() throws {
        let path = try artifactsFolder("read").appendingPathComponent("absent.txt").path
        #expect(throws: ExpectedFailuresError.self) { try ExpectedFailures.read(from: path) }
        #expect(try ExpectedFailures.read(from: path, missingIsEmpty: true).entries.isEmpty)
        let invalid = try artifactsFolder("read").appendingPathComponent("latin1.txt")
        try Data([0x61, 0xE9, 0x0A]).write(to: invalid)
        #expect(throws: ExpectedFailuresError(path: invalid.path, line: nil, message: "the file is not UTF-8 text")) {
            try ExpectedFailures.read(from: invalid.path)
        }
    }

    @Test("Without a list: the plain verdict")
    func plain() {
        #expect(GatedVerdict(report(["a.x": .passed])).exitCode == 0)
        #expect(GatedVerdict(report(["a.x": .passed, "a.y": .failed])).exitCode == 1)
        #expect(GatedVerdict(report(["a.x": .error, "a.y": .failed])).exitCode == 2)
        #expect(GatedVerdict(report(["a.x": .passed], incomplete: true)).exitCode == 2)
        let verdict = GatedVerdict(report(["a.x": .passed, "a.y": .failed, "a.z": .skipped, "a.w": .error]))
        #expect(verdict.closingLine == "1 passed, 1 failed, 1 error, 1 not run")
        #expect(verdict.dispositions == [.passed, .failed, .notRun, .error])
        #expect(verdict.notRun == ["a.z"])
        #expect(verdict.lines == ["1 check could not run: no verdict"])
        #expect(verdict.expectedFailureLine == nil)
    }

    @Test("A listed check that fails does not fail the verdict")
    func expected() throws {
        let list = try ExpectedFailures.parse("a.y  # known\n", path: "xfail.txt")
        let verdict = list.gate(report(["a.x": .passed, "a.y": .failed]))
        #expect(verdict.outcome == .conformant)
        #expect(verdict.exitCode == 0)
        #expect(verdict.expectedFailures == ["a.y"])
        #expect(verdict.dispositions == [.passed, .expectedFailure])
        #expect(verdict.lines == ["expected failure: a.y"])
        #expect(verdict.closingLine == "1 passed, 0 failed, 0 errors, 0 not run")
        #expect(verdict.expectedFailureLine == "1 expected failure (xfail.txt)")
    }

    @Test("An unlisted failure still fails it")
    func unexpected() throws {
        let list = try ExpectedFailures.parse("a.y\n", path: "xfail.txt")
        let verdict = list.gate(report(["a.x": .failed, "a.y": .failed]))
        #expect(verdict.exitCode == 1)
        #expect(verdict.unexpectedFailures == ["a.x"])
        #expect(verdict.closingLine == "0 passed, 1 failed, 0 errors, 0 not run")
    }

    @Test("A listed check that passes fails the verdict: the list is stale")
    func stale() throws {
        let list = try ExpectedFailures.parse("# header\n\na.x\n", path: "xfail.txt")
        let verdict = list.gate(report(["a.x": .passed]))
        #expect(verdict.outcome == .notConformant)
        #expect(verdict.staleExpectedFailures == ["a.x"])
        #expect(verdict.lines == ["stale expected failure: a.x passes now (remove it from xfail.txt:3)"])
        #expect(verdict.closingLine == "0 passed, 1 failed, 0 errors, 0 not run")
    }

    @Test("A listed check that ends in an error gives no verdict: the list covers failures only")
    func listedError() throws {
        let list = try ExpectedFailures.parse("a.x\n", path: "xfail.txt")
        let verdict = list.gate(report(["a.x": .error]))
        #expect(verdict.exitCode == 2)
        #expect(verdict.dispositions == [.error])
        #expect(
            verdict.lines.first
                == "a.x is listed as an expected failure but ended in an error; the list covers failures only")
    }

    @Test("A check that judged no case (not run) fails the verdict unless listed; a listed one is expected")
    func notRun() throws {
        // Every case skipped proves nothing: not conformant, and said so.
        let plain = GatedVerdict(report(["a.x": .skipped, "a.y": .passed]))
        #expect(plain.outcome == .notConformant)
        #expect(plain.dispositions == [.notRun, .passed])
        #expect(plain.closingLine == "1 passed, 0 failed, 0 errors, 1 not run")
        #expect(
            plain.lines == [
                "1 check judged no case (not run), which proves nothing: not conformant unless an "
                    + "expected-failures entry names it"
            ])
        // Listed, it counts as an expected failure; a listed check of another shard counts neither way.
        let list = try ExpectedFailures.parse("a.x\na.elsewhere\n", path: "xfail.txt")
        let verdict = list.gate(report(["a.x": .skipped, "a.y": .passed]), knownIDs: ["a.x", "a.y", "a.elsewhere"])
        #expect(verdict.exitCode == 0)
        #expect(verdict.dispositions == [.expectedFailure, .passed])
        #expect(verdict.lines == ["expected failure: a.x (not run)"])
        #expect(verdict.expectedFailureLine == "1 expected failure (xfail.txt)")
    }

    @Test("An id that names no check is a usage error, with its file and line")
    func unknown() throws {
        let list = try ExpectedFailures.parse("a.y\n# typo\na.yy\n", path: "xfail.txt")
        let verdict = list.gate(report(["a.x": .passed, "a.y": .failed]))
        #expect(verdict.exitCode == 2)
        #expect(verdict.unknownEntries.map(\.id) == ["a.yy"])
        #expect(verdict.lines.contains("unknown id in xfail.txt:3: 'a.yy' names no check"))
        // The same check before a run, from the suite's ids.
        #expect(list.unknownEntries(knownIDs: ["a.x", "a.y"]).map(\.line) == [3])
        #expect(list.unknownEntries(knownIDs: ["a.x", "a.y", "a.yy"]).isEmpty)
    }

    @Test("An incomplete run gives no verdict, whatever the list says")
    func incomplete() throws {
        let list = try ExpectedFailures.parse("a.y\n", path: "xfail.txt")
        let verdict = list.gate(report(["a.x": .passed, "a.y": .failed], incomplete: true))
        #expect(verdict.exitCode == 2)
        #expect(verdict.lines.last == "the run is incomplete: no verdict")
    }

    @Test("fix: removes stale ids with their own comments, keeps the others', adds new failures")
    func fix() throws {
        let text = """
            # Expected failures of my-loss: one id per line.

            # float32 accumulation
            a.stale1
            a.kept   # still fails

            # both of these rounded twice
            a.stale2
            a.kept2
            # only this one
            a.stale3

            a.unknown # typo, left for a person
            a.error  # could not run
            a.skipped
            """ + "\n"
        let list = try ExpectedFailures.parse(text, path: "xfail.txt")
        let run = report([
            "a.stale1": .passed, "a.kept": .failed, "a.stale2": .passed, "a.kept2": .failed, "a.stale3": .passed,
            "a.new": .failed, "a.error": .error, "a.newerror": .error, "a.skipped": .skipped, "a.pass": .passed,
            "a.newskip": .skipped, "b.new": .failed,
        ])
        let fix = list.fixed(for: run)
        #expect(fix.removed == ["a.stale1", "a.stale2", "a.stale3"])
        #expect(fix.added == ["a.new", "a.newskip", "b.new"])
        #expect(fix.changesList)
        #expect(
            fix.lines == [
                "removed stale expected failure: a.stale1", "removed stale expected failure: a.stale2",
                "removed stale expected failure: a.stale3", "added expected failure: a.new",
                "added expected failure: a.newskip", "added expected failure: b.new",
            ])
        let expected = """
            # Expected failures of my-loss: one id per line.

            a.kept   # still fails

            # both of these rounded twice
            a.kept2

            a.unknown # typo, left for a person
            a.error  # could not run
            a.skipped

            a.new  # added by --fix-expected-failures: a.new is off by 3 ulp
            a.newskip  # added by --fix-expected-failures: not run: a.newskip needs what the candidate lacks
            b.new  # added by --fix-expected-failures: b.new is off by 3 ulp
            """ + "\n"
        #expect(fix.list.text == expected)
        // The rewritten list parses to the same entries, and gates the run with only the unknown id left.
        let reparsed = try ExpectedFailures.parse(fix.list.text, path: "xfail.txt")
        #expect(reparsed.entries == fix.list.entries)
        #expect(
            reparsed.entries.first { $0.id == "a.new" }?.reason
                == "added by --fix-expected-failures: a.new is off by 3 ulp")
        let verdict = reparsed.gate(run)
        #expect(verdict.staleExpectedFailures.isEmpty && verdict.unexpectedFailures.isEmpty)
        #expect(verdict.unknownEntries.map(\.id) == ["a.unknown"])
        #expect(verdict.exitCode == 2)  // the error and the unknown id remain
        // A second fix changes nothing.
        #expect(!reparsed.fixed(for: run).changesList)
    }

    @Test("fix: an up-to-date list is left byte for byte; a new list is created; writes are atomic")
    func fixWrites() throws {
        let folder = try artifactsFolder("fix")
        let path = folder.appendingPathComponent("xfail.txt").path
        let run = report(["a.x": .failed, "a.y": .passed])

        let created = ExpectedFailures(path: path).fixed(for: run)
        try created.write()
        #expect(
            try String(contentsOfFile: path, encoding: .utf8)
                == "a.x  # added by --fix-expected-failures: a.x is off by 3 ulp\n")

        let original = "a.x\t# kept as it is\n\n\n"
        try original.write(toFile: path, atomically: false, encoding: .utf8)
        let same = try ExpectedFailures.read(from: path).fixed(for: run)
        #expect(!same.changesList)
        #expect(same.list.text == original)
        try same.write()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == original)

        try "a.y\na.x\n".write(toFile: path, atomically: false, encoding: .utf8)
        try ExpectedFailures.read(from: path).fixed(for: run).write()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a.x\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("fix: removing every entry leaves the header, and no trailing blank lines")
    func fixEverything() throws {
        let list = try ExpectedFailures.parse("# header\n\n# reason\na.x\n\na.y\n", path: "x")
        let fix = list.fixed(for: report(["a.x": .passed, "a.y": .passed]))
        #expect(fix.list.text == "# header\n")
    }
}
