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
/// The file is written atomically (a temporary file, then a rename), so a reader never sees half of it. Runs
/// may share it: each save merges the entries on disk with its own under an exclusive lock on the file's
/// folder (`flock`), so that concurrent runs keep every entry.
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
        database.checks = try readChecks(from: path)
        return database
    }

    /// The entries stored at `path`; none for a missing file.
    private static func readChecks(from path: String) throws -> [String: [RegressionEntry]] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let file = try JSONDecoder().decode(File.self, from: data)
        guard file.version == File.currentVersion else {
            throw CocoaError(
                .fileReadCorruptFile,
                userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "unknown version \(file.version)"])
        }
        return file.checks
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

    /// Writes the database to its path atomically, creating the folder when needed, merged with the entries
    /// another run has saved there since this one loaded it (theirs first, then those of this one they lack).
    public func save() throws {
        try lock.withLock {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let folderLock = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard folderLock >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            defer { close(folderLock) }
            while flock(folderLock, LOCK_EX) != 0 && errno == EINTR {}
            // A file that cannot be read now is replaced: this run read it cleanly when it started.
            if let stored = try? Self.readChecks(from: path) { checks = Self.merge(stored, checks) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(File(version: File.currentVersion, checks: checks))
            try AtomicFile.write(data, to: path)
        }
    }

    /// The stored entries of every check, then the entries of `own` they lack, each check trimmed to its most
    /// recent ``maximumEntriesPerCheck``.
    private static func merge(
        _ stored: [String: [RegressionEntry]], _ own: [String: [RegressionEntry]]
    ) -> [String: [RegressionEntry]] {
        var merged = stored
        for (checkID, entries) in own {
            var list = merged[checkID] ?? []
            for entry in entries where !list.contains(where: { $0.choices == entry.choices }) { list.append(entry) }
            merged[checkID] = Array(list.suffix(maximumEntriesPerCheck))
        }
        return merged
    }

    private struct File: Codable {
        static let currentVersion = 1
        var version: Int
        var checks: [String: [RegressionEntry]]
    }
}
