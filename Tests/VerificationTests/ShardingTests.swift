import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing
import Verification

@Suite("Shards and merging")
struct ShardingTests {
    @Test("K/N parses with 1 ≤ K ≤ N")
    func parse() throws {
        let shard = try ShardSpec(parsing: "2/4")
        #expect(shard.index == 2 && shard.count == 4)
        #expect(shard.description == "2/4")
        #expect(try ShardSpec(parsing: "1/1") == ShardSpec.whole)
        for bad in ["0/4", "5/4", "1/0", "-1/3", "1", "1/", "/2", "a/b", "1/2/3", "", " 1/2"] {
            #expect(throws: ShardSpecError.self, "\(bad)") { try ShardSpec(parsing: bad) }
        }
        #expect(
            (try? ShardSpec(parsing: "0/4")) == nil
                && String(describing: ShardSpecError(text: "0/4", reason: "K must be between 1 and N (4)"))
                    == "invalid shard '0/4': K must be between 1 and N (4)"
        )
    }

    @Test(
        "Checks that do not run in stripes are split by id: each once, balanced within one, each kind spread evenly",
        arguments: 1...6)
    func split(count: Int) throws {
        let ids = try FakeSuite.checks().map(\.id)
        let shards = try (1...count).map { try ShardSpec(index: $0, count: count).select(ids: ids) }
        #expect(shards.flatMap { $0 }.sorted() == ids.sorted())
        let sizes = shards.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1, "\(sizes)")
        for kind in ["golden.", "property."] {
            let perShard = shards.map { $0.filter { $0.hasPrefix(kind) }.count }
            #expect(perShard.max()! - perShard.min()! <= 2, "\(kind) \(perShard)")
        }
        // Run order is kept within a shard.
        for shard in shards { #expect(shard == ids.filter(shard.contains)) }
    }

    @Test("The split depends only on the ids: the same in any order, and fixed for known ids")
    func deterministic() throws {
        let ids = ["golden.b", "property.a", "golden.a", "errors.z", "property.b"]
        let assignment = ShardSpec.assignment(of: ids, count: 2)
        #expect(ShardSpec.assignment(of: ids.reversed(), count: 2) == assignment)
        #expect(assignment == ["errors.z": 1, "golden.a": 2, "golden.b": 1, "property.a": 2, "property.b": 1])
        // Checks that share an id go together.
        let shard = try ShardSpec(parsing: "1/2")
        #expect(shard.select(ids: ["x", "y", "x"]) == ["x", "x"])
    }

    @Test("Merging the shards of a seeded run gives the unsharded run's results: golden and hand-made checks")
    func mergeEqualsUnsharded() throws {
        let full = try FakeSuite.report()
        #expect(full.summary.failed > 0 && full.summary.errors == 1 && full.summary.skipped > 0)
        try mergeEqualsUnsharded(checks: try FakeSuite.checks(), full: full, count: 3)
    }

    @Test("Merging the shards of a seeded run gives the unsharded run's results: any N", arguments: [1, 2, 4, 7])
    func mergeEqualsUnsharded(count: Int) throws {
        let checks = try FakeSuite.checks(includeGolden: false)
        try mergeEqualsUnsharded(checks: checks, full: FakeSuite.run(checks, seed: 11), count: count, seed: 11)
    }

    private func mergeEqualsUnsharded(
        checks: [any ConformanceCheck], full: VerifyReport, count: Int, seed: UInt64 = 7
    ) throws {
        let ids = checks.map(\.id)
        var parts = [ShardedReport]()
        // Shards in a scrambled order, as a CI job might download them.
        for index in (1...count).reversed() {
            let shard = try ShardSpec(index: index, count: count)
            let report = FakeSuite.run(shard.select(checks), seed: seed, stripe: shard.stripe)
            // Through the file format, as gnll report merge reads them.
            let data = try ShardedReport(report: report, shard: ShardRecord(shard: shard, checks: ids)).jsonData()
            parts.append(try JSONDecoder.results.decode(ShardedReport.self, from: data))
        }
        let merged = try ReportMerge.merge(parts)
        #expect(merged == full)
        #expect(merged.checks.map(\.id) == ids)
        #expect(merged.summary == full.summary)
        #expect(merged.checks.map(\.failure) == full.checks.map(\.failure))
        #expect(GatedVerdict(merged) == GatedVerdict(full))
    }

    @Test("A check's stripes must all be merged: a missing one is an error, or left out of an interrupted run")
    func stripeMergeErrors() throws {
        let checks = try FakeSuite.checks(includeGolden: false)
        let ids = checks.map(\.id)
        func part(_ index: Int) throws -> ShardedReport {
            let shard = try ShardSpec(index: index, count: 2)
            return ShardedReport(
                report: FakeSuite.run(shard.select(checks), stripe: shard.stripe),
                shard: ShardRecord(shard: shard, checks: ids))
        }
        let (first, second) = (try part(1), try part(2))
        let dropped = try #require(second.report.checks.first { $0.stripe != nil })
        var short = second
        short.report = VerifyReport(
            candidate: second.report.candidate, profile: second.report.profile, seed: second.report.seed,
            budget: second.report.budget, checks: second.report.checks.filter { $0.id != dropped.id })
        #expect(throws: MergeError("check '\(dropped.id)': stripe 2/2 missing")) {
            try ReportMerge.merge([first, short])
        }
        short.report.incomplete = true
        let merged = try ReportMerge.merge([first, short])
        #expect(merged.incomplete && !merged.checks.contains { $0.id == dropped.id })
        #expect(merged.checks.count == checks.count - 1)

        // A stripe in the wrong shard's file.
        var stray = second
        stray.report.checks[0].stripe?.index = 1
        #expect(throws: MergeError.self) { try ReportMerge.merge([first, stray]) }
        // Every stripe record is dropped from the merged results.
        #expect(try ReportMerge.merge([first, second]).checks.allSatisfy { $0.stripe == nil })
    }

    @Test("A shard file is a results file with a shard member")
    func shardFile() throws {
        let report = handmade()
        let sharded = ShardedReport(
            report: report, shard: ShardRecord(shard: try ShardSpec(parsing: "1/2"), checks: ["a"]))
        let data = try sharded.jsonData()
        #expect(
            String(decoding: data, as: UTF8.self).contains(
                "\"shard\" : {\n    \"checks\" : [\n      \"a\"\n    ],\n    \"count\" : 2,\n    \"index\" : 1\n  },"))
        // The plain reader ignores the member; the shard reader keeps it.
        #expect(try JSONDecoder.results.decode(VerifyReport.self, from: data) == report)
        #expect(try JSONDecoder.results.decode(ShardedReport.self, from: data) == sharded)
        // Without a shard, the file is byte for byte VerifyReport's.
        #expect(try ShardedReport(report: report).jsonData() == report.jsonData())
        let path = try artifactsFolder("shard-file").appendingPathComponent("s.json").path
        try sharded.write(to: path)
        #expect(try ShardedReport.read(from: path) == sharded)
    }

    @Test("Reading says which file is not results, and where")
    func readErrors() throws {
        let folder = try artifactsFolder("read-errors")
        func message(_ contents: String?) throws -> String? {
            let path = folder.appendingPathComponent("r.json").path
            try? FileManager.default.removeItem(atPath: path)
            if let contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
            do {
                _ = try ShardedReport.read(from: path)
                return nil
            } catch {
                return error.message.replacingOccurrences(of: path, with: "FILE")
            }
        }
        var object = try JSONSerialization.jsonObject(with: try handmade().jsonData()) as! [String: Any]
        var checks = object["checks"] as! [[String: Any]]
        checks[0]["status"] = nil
        object["checks"] = checks
        let missingStatus = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let current = String(decoding: try handmade().jsonData(), as: UTF8.self)
        let future = String(decoding: try handmade().jsonData(), as: UTF8.self)
            .replacingOccurrences(of: "\"schemaVersion\" : 1", with: "\"schemaVersion\" : 2")
        #expect(try message(nil) == "cannot read FILE: no such file")
        #expect(
            try message("{")
                == "FILE is not a results file: invalid JSON at byte 1: unexpected end of input in an object")
        #expect(
            try message(current.replacingOccurrences(of: "\"status\" : \"passed\"", with: "\"status\" : 3"))
                == "FILE is not a results file: checks[0].status: expected a string, found an integer")
        #expect(
            try message(current.replacingOccurrences(of: "\"status\" : \"passed\"", with: "\"status\" : \"won\""))
                == "FILE is not a results file: checks[0].status: Cannot initialize CheckStatus from invalid String value won"
        )
        #expect(try message("{}") == "FILE is not a results file: schemaVersion is missing")
        #expect(try message(missingStatus) == "FILE is not a results file: checks[0].status is missing")
        #expect(try message(future) == "FILE has results schema version 2; this gnll reads version 1")
        #expect(try message(String(decoding: try handmade().jsonData(), as: UTF8.self)) == nil)
    }

    @Test("Merging refuses parts of different runs, overlapping parts and missing shards")
    func mergeErrors() throws {
        let ids = ["a.1", "a.2", "a.3", "a.4"]
        func part(
            _ index: Int, of count: Int = 2, seed: UInt64 = 1, budget: String = "quick", profile: Profile = .current
        )
            throws -> ShardedReport
        {
            let shard = try ShardSpec(index: index, count: count)
            let checks = shard.select(ids: ids).map { id -> CheckResult in
                var result = CheckResult(id: id, category: "a", title: id)
                result.status = .passed
                return result
            }
            return ShardedReport(
                report: VerifyReport(
                    candidate: CandidateInfo(name: "c", version: "1"), profile: profile, seed: seed, budget: budget,
                    checks: checks),
                shard: ShardRecord(shard: shard, checks: ids))
        }
        let labels = ["one.json", "two.json"]
        func message(_ parts: [ShardedReport]) -> String? {
            do {
                _ = try ReportMerge.merge(parts, labels: labels)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message([]) == "nothing to merge")
        #expect(
            message([try part(1), try part(2, seed: 2)])?.hasPrefix("two.json and one.json differ in seed (2 vs 1)")
                == true)
        #expect(message([try part(1), try part(2, budget: "thorough")])?.contains("differ in budget") == true)
        #expect(message([try part(1), try part(2, profile: .torch1_9)])?.contains("differ in profile") == true)
        #expect(message([try part(1), try part(1)]) == "check 'a.1' is in both one.json and two.json")
        #expect(message([try part(1)]) == "shard 2/2 missing: give every shard of the run")
        #expect(message([try part(3, of: 3), try part(2)])?.contains("are shards of different runs") == true)
        var mislabelled = try part(2)
        mislabelled.shard?.index = 1
        #expect(message([try part(2), mislabelled]) != nil)
        var plain = try part(2)
        plain.shard = nil
        #expect(
            message([try part(1), plain]) == "two.json is not a shard, but other parts are: merge the shards of one run"
        )

        // Plain reports (no shard records) merge in the order given; an interrupted part makes the whole incomplete.
        var first = try part(1).report
        first.incomplete = true
        let merged = try ReportMerge.merge([first, try part(2).report])
        #expect(merged.checks.map(\.id) == ["a.1", "a.3", "a.2", "a.4"])
        #expect(merged.incomplete)
        #expect(merged.summary.passed == 4)
    }

    private func handmade() -> VerifyReport {
        var check = CheckResult(id: "a", category: "x", title: "t")
        check.status = .passed
        return VerifyReport(
            candidate: CandidateInfo(name: "c", version: "1"), profile: .current, seed: 3, budget: "quick",
            checks: [check])
    }
}
