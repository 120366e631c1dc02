internal import CandidateProtocol
public import Conformance
public import Foundation

/// Which shard of a run a results file holds, and every check id of the whole run in run order, so that
/// shards can be merged back into the order of an unsharded run.
///
/// In JSON it is the results file's `shard` member: `{"index": 2, "count": 4, "checks": [...]}`.
public struct ShardRecord: Sendable, Codable, Equatable {
    /// Which shard, from 1 to ``count``.
    public var index: Int
    /// How many shards the run was split into.
    public var count: Int
    /// The ids of every check of the whole run, in the order an unsharded run runs them.
    public var checks: [String]

    public init(shard: ShardSpec, checks: [String]) {
        index = shard.index
        count = shard.count
        self.checks = checks
    }

    /// The shard, when ``index`` and ``count`` make one.
    public var spec: ShardSpec? { try? ShardSpec(index: index, count: count) }
}

/// A results file that may hold one shard of a run: the results (``VerifyReport``) plus, for a shard, a
/// `shard` member (``ShardRecord``) beside the results' own members.
///
/// A results file without `shard` reads as a report with ``shard`` `nil`, and a ``VerifyReport`` reads a
/// shard's file, ignoring the member; both match `Schemas/results.schema.json`.
public struct ShardedReport: Sendable, Equatable, Codable {
    public var report: VerifyReport
    public var shard: ShardRecord?

    public init(report: VerifyReport, shard: ShardRecord? = nil) {
        self.report = report
        self.shard = shard
    }

    private enum CodingKeys: String, CodingKey {
        case shard
    }

    public init(from decoder: any Decoder) throws {
        report = try VerifyReport(from: decoder)
        shard = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(ShardRecord.self, forKey: .shard)
    }

    public func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(shard, forKey: .shard)
    }

    /// The results as pretty-printed JSON with sorted keys, as ``VerifyReport/jsonData()`` writes them.
    public func jsonData() throws -> Data {
        Data(try ResultsCoding.encode(self))
    }

    /// Reads a results file.
    ///
    /// - Throws: ``ResultsFileError``, saying which file and, for a file that is not results, which member.
    public static func read(from path: String) throws(ResultsFileError) -> ShardedReport {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "no such file"
            throw ResultsFileError(path: path, message: "cannot read \(path): \(reason)")
        }
        let results: ShardedReport
        do { results = try ResultsCoding.decode(ShardedReport.self, from: data) } catch let error as JSONError {
            throw ResultsFileError(path: path, message: "\(path) is not a results file: \(error)")
        } catch let error as DecodingError {
            throw ResultsFileError(
                path: path, message: "\(path) is not a results file: \(ResultsFileError.describe(error))")
        } catch {
            throw ResultsFileError(path: path, message: "\(path) is not a results file: \(error)")
        }
        guard results.report.schemaVersion == VerifyReport.currentSchemaVersion else {
            throw ResultsFileError(
                path: path,
                message: "\(path) has results schema version \(results.report.schemaVersion); this gnll reads version "
                    + "\(VerifyReport.currentSchemaVersion)")
        }
        if let mismatch = results.report.summaryMismatch {
            throw ResultsFileError(path: path, message: "\(path) is not a results file: \(mismatch)")
        }
        return results
    }

    /// Writes the results atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(try jsonData(), to: path)
    }
}

extension VerifyReport {
    /// Where the summary does not count the checks' statuses (a results file edited by hand or by a tool), or `nil`.
    var summaryMismatch: String? {
        let counted = VerifyReport(
            candidate: candidate, profile: profile, seed: seed, budget: budget, checks: checks
        ).summary
        let fields: [(String, Int, Int, CheckStatus)] = [
            ("passed", summary.passed, counted.passed, .passed), ("failed", summary.failed, counted.failed, .failed),
            ("skipped", summary.skipped, counted.skipped, .skipped), ("errors", summary.errors, counted.errors, .error),
        ]
        for (name, stated, actual, status) in fields where stated != actual {
            return "summary.\(name) is \(stated), but \(actual) of the checks have status \(status.rawValue)"
        }
        return nil
    }
}

/// A results file that cannot be read.
public struct ResultsFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public var description: String { message }

    /// What is wrong, and where in the JSON: `checks[3].status: …`.
    static func describe(_ error: DecodingError) -> String {
        func location(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(location(context.codingPath + [key])) is missing"
        case .valueNotFound(_, let context), .typeMismatch(_, let context):
            return "\(location(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "\(location(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
