import Conformance
import Foundation
import GNLLTestSupport
import GaussianNLL
import Testing

@testable import PropertyTesting

@Suite("Regression database")
struct RegressionDatabaseTests {
    /// A fresh folder for one test.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gnll-regressions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("Entries survive a save and a load, 64-bit choices included; the write leaves no temporary file")
    func roundTrip() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nested/regressions.json").path
        let database = RegressionDatabase(path: path)
        let first = RegressionEntry(
            choices: [0, 1, UInt64.max, 1 << 53 + 1], seed: 7, profile: "torch-2.10", candidate: "x", finding: "f")
        let second = RegressionEntry(choices: [3], seed: 8, profile: "torch-1.8", candidate: "y", finding: "g")
        try database.record(first, for: "property.a")
        try database.record(second, for: "property.b")
        try database.record(first, for: "property.a")  // a duplicate replaces the older copy

        let loaded = try RegressionDatabase.load(from: path)
        #expect(loaded.entries(for: "property.a") == [first])
        #expect(loaded.entries(for: "property.b") == [second])
        #expect(loaded.checkIDs == ["property.a", "property.b"])
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("nested").path)
        #expect(names == ["regressions.json"])
    }

    @Test("A missing file is an empty database; a check keeps its most recent entries")
    func limits() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try RegressionDatabase.load(from: folder.appendingPathComponent("none.json").path)
        #expect(database.checkIDs.isEmpty)
        for index in 0..<(RegressionDatabase.maximumEntriesPerCheck + 4) {
            try database.record(
                RegressionEntry(choices: [UInt64(index)], seed: 1, profile: "p", candidate: "c", finding: ""),
                for: "property.a")
        }
        let entries = database.entries(for: "property.a")
        #expect(entries.count == RegressionDatabase.maximumEntriesPerCheck)
        #expect(entries.last?.choices == [UInt64(RegressionDatabase.maximumEntriesPerCheck + 3)])
    }

    @Test("A failure is stored, and a later run replays it before drawing fresh cases")
    func replayFirst() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("regressions.json").path
        let first = PropertySuite.randomOracle(try RegressionDatabase.load(from: path))
        let found = first.run(in: context(BrokenCandidate(), profile: .torch2_10, seed: 1, cases: 100))
        #expect(found.status == .failed)
        let stored = try RegressionDatabase.load(from: path).entries(for: first.id)
        #expect(stored.count == 1)
        #expect(stored.first?.candidate == "broken")

        // One fresh case of another seed would not find it; the stored case does, first.
        let later = PropertySuite.randomOracle(try RegressionDatabase.load(from: path))
        let replayed = later.run(in: context(BrokenCandidate(), profile: .torch2_10, seed: 99, cases: 1))
        #expect(replayed.status == .failed)
        #expect(replayed.failure?.message.contains("a case stored in the regression database") == true)
        #expect(replayed.cases == 2)

        // The reference passes the stored cases, which stay as regression tests.
        let database = try RegressionDatabase.load(from: path)
        let storedCount = database.entries(for: first.id).count
        #expect(storedCount >= 1)
        let passing = PropertySuite.randomOracle(database).run(
            in: context(ReferenceCandidate(profile: .torch2_10), profile: .torch2_10, cases: 5))
        #expect(passing.status == .passed)
        #expect(passing.cases == storedCount + 5)
        #expect(try RegressionDatabase.load(from: path).entries(for: first.id).count == storedCount)
    }

    @Test("Runs that share the file keep every entry: each save merges with what another run saved meanwhile")
    func concurrentRuns() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("regressions.json").path
        // Two runs load the same (missing) file, then each records its own failures, from two threads at once.
        let runs = [try RegressionDatabase.load(from: path), try RegressionDatabase.load(from: path)]
        func entry(_ run: Int, _ index: Int) -> RegressionEntry {
            RegressionEntry(
                choices: [UInt64(run), UInt64(index)], seed: UInt64(run), profile: "p", candidate: "c", finding: "")
        }
        let saving = (0..<2).map { run in
            Background { () throws -> Void in
                for index in 0..<6 { try runs[run].record(entry(run, index), for: "property.\(index % 2)") }
            }
        }
        for thread in saving { try thread.result.get() }

        let loaded = try RegressionDatabase.load(from: path)
        for index in 0..<6 {
            for run in 0..<2 {
                #expect(
                    loaded.entries(for: "property.\(index % 2)").contains(entry(run, index)), "run \(run), \(index)")
            }
        }
        #expect(loaded.entries(for: "property.0").count == 6)
        #expect(loaded.entries(for: "property.1").count == 6)
        // The lock is the folder itself: nothing but the file is left there.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["regressions.json"])
    }
}
