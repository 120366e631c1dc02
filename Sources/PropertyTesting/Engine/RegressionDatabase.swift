internal import Conformance
internal import Foundation

/// A failing case of a property, stored so that later runs replay it first.
public struct RegressionEntry: Sendable, Codable, Equatable {
    /// The shrunk choice sequence; replaying it through the property's generator rebuilds the case.
    public var choices: [UInt64]
    /// The run that found it, for people reading the file.
    public var seed: UInt64
    public var profile: String
    public var candidate: String
    /// What was wrong, in one line.
    public var finding: String

    public init(choices: [UInt64], seed: UInt64, profile: String, candidate: String, finding: String) {
        self.choices = choices
        self.seed = seed
        self.profile = profile
        self.candidate = candidate
        self.finding = finding
    }
}

/// Failing cases of property checks, in a local JSON file, in the style of Hypothesis's example database.
///
/// Entries are keyed by check id. A property check given a database replays that check's stored cases before
/// it draws fresh ones, and stores the shrunk case of every new failure. Cases stay after the bug is fixed,
/// as regression tests; each check keeps its ``maximumEntriesPerCheck`` most recent ones.
///
/// The file is written atomically (a temporary file, then a rename), so a reader never sees half of it.
///
/// ```swift
/// let database = try RegressionDatabase.load(from: RegressionDatabase.defaultPath)
/// let checks = PropertySuite.checks(for: .torch2_10, database: database)
/// ```
public final class RegressionDatabase: @unchecked Sendable {
    /// `.gnll/regressions.json`, relative to the working directory.
    public static let defaultPath = ".gnll/regressions.json"
    /// The most cases kept for one check.
    public static let maximumEntriesPerCheck = 16

    /// Where the database is saved.
    public let path: String
    private let lock = NSLock()
    private var checks: [String: [RegressionEntry]]

    /// An empty database that will be saved at `path`.
    public init(path: String = RegressionDatabase.defaultPath) {
        self.path = path
        checks = [:]
    }

    /// Reads the database at `path`; a missing file is an empty database.
    public static func load(from path: String = RegressionDatabase.defaultPath) throws -> RegressionDatabase {
        let database = RegressionDatabase(path: path)
        guard FileManager.default.fileExists(atPath: path) else { return database }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let file = try JSONDecoder().decode(File.self, from: data)
        guard file.version == File.currentVersion else {
            throw CocoaError(
                .fileReadCorruptFile,
                userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "unknown version \(file.version)"])
        }
        database.checks = file.checks
        return database
    }

    /// The stored cases of a check, oldest first.
    public func entries(for checkID: String) -> [RegressionEntry] {
        lock.withLock { checks[checkID] ?? [] }
    }

    /// The ids of the checks with stored cases, sorted.
    public var checkIDs: [String] {
        lock.withLock { checks.keys.sorted() }
    }

    /// Adds a case for a check (replacing an identical one) and saves the file.
    public func record(_ entry: RegressionEntry, for checkID: String) throws {
        lock.withLock {
            var entries = checks[checkID] ?? []
            entries.removeAll { $0.choices == entry.choices }
            entries.append(entry)
            if entries.count > Self.maximumEntriesPerCheck {
                entries.removeFirst(entries.count - Self.maximumEntriesPerCheck)
            }
            checks[checkID] = entries
        }
        try save()
    }

    /// Writes the database to its path atomically, creating the folder when needed.
    public func save() throws {
        try lock.withLock {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(File(version: File.currentVersion, checks: checks))
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try AtomicFile.write(data, to: path)
        }
    }

    private struct File: Codable {
        static let currentVersion = 1
        var version: Int
        var checks: [String: [RegressionEntry]]
    }
}
