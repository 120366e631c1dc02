public import Conformance
internal import GaussianNLL

/// Merging the results of the shards of a run into the results of the whole run.
public enum ReportMerge {
    /// Merges shard results into one report, as an unsharded run would have written it.
    ///
    /// The parts must share the schema version, candidate, profile, seed and budget. When they carry shard
    /// records (written by `gnll verify --shard K/N`), they must be the N shards of one run, each once, and
    /// the checks come out in the run's order; without records, in the order the parts list them. A check that
    /// ran in stripes (it has a `stripe` record) is in every shard, and its stripes are added back up into the
    /// result of the whole check (``CheckResult/merging(stripes:)``); any other check id in two parts is an error.
    /// The summary is counted anew; the result is incomplete when a part is, or when a check of the run is in no
    /// part (a check some of whose stripes an incomplete part lacks is left out).
    ///
    /// - Parameter labels: How to name each part in errors (file names); `part 1`, `part 2`… by default.
    public static func merge(_ parts: [ShardedReport], labels: [String]? = nil) throws(MergeError) -> VerifyReport {
        let names = parts.indices.map { index in
            labels.flatMap { index < $0.count ? $0[index] : nil } ?? "part \(index + 1)"
        }
        guard let first = parts.first else { throw MergeError("nothing to merge") }
        for (part, name) in zip(parts, names).dropFirst() {
            try requireSame(\.schemaVersion, "schema version", part.report, first.report, name, names[0])
            try requireSame(\.candidateSummary, "candidate", part.report, first.report, name, names[0])
            try requireSame(\.profile, "profile", part.report, first.report, name, names[0])
            try requireSame(\.seed, "seed", part.report, first.report, name, names[0])
            try requireSame(\.budget, "budget", part.report, first.report, name, names[0])
        }
        var owner = [String: Int]()
        for (index, part) in parts.enumerated() {
            for id in part.report.checks.filter({ $0.stripe == nil }).map(\.id) {
                if let other = owner[id], other != index {
                    throw MergeError("check '\(id)' is in both \(names[other]) and \(names[index])")
                }
                owner[id] = index
            }
        }
        let order = try runOrder(parts, names: names)
        let anyIncomplete = parts.contains { $0.report.incomplete }

        // Each check once, where it first appears; the stripes of a check (the n-th check of that id in each part)
        // are gathered in its place.
        var slots = [[CheckResult]]()
        var stripedSlot = [String: [Int]]()
        for part in parts {
            var seen = [String: Int]()
            for check in part.report.checks {
                guard check.stripe != nil else {
                    slots.append([check])
                    continue
                }
                let occurrence = seen[check.id, default: 0]
                seen[check.id] = occurrence + 1
                if let slot = stripedSlot[check.id]?.dropFirst(occurrence).first {
                    slots[slot].append(check)
                } else {
                    stripedSlot[check.id, default: []].append(slots.count)
                    slots.append([check])
                }
            }
        }
        var checks = [CheckResult]()
        var leftOut = false
        for slot in slots {
            guard slot[0].stripe != nil else {
                checks.append(slot[0])
                continue
            }
            do throws(StripeMergeError) {
                checks.append(try CheckResult.merging(stripes: slot))
            } catch {
                guard anyIncomplete else { throw MergeError(error.message) }
                leftOut = true
            }
        }
        if let order {
            let position = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            // Stable: checks sharing an id keep the order they ran in.
            checks = checks.enumerated().sorted { a, b in
                let (pa, pb) = (position[a.element.id] ?? .max, position[b.element.id] ?? .max)
                return pa != pb ? pa < pb : a.offset < b.offset
            }.map(\.element)
        }
        var merged = VerifyReport(
            candidate: first.report.candidate, profile: first.report.profile, seed: first.report.seed,
            budget: first.report.budget, checks: checks)
        let missing = order.map { Set($0).subtracting(checks.map(\.id)) } ?? []
        merged.incomplete = anyIncomplete || leftOut || !missing.isEmpty
        return merged
    }

    /// Merges plain results (no shard records): checks in the order the reports list them.
    public static func merge(_ reports: [VerifyReport]) throws(MergeError) -> VerifyReport {
        try merge(reports.map { ShardedReport(report: $0) })
    }

    /// The check ids of the whole run in order, from the shard records; `nil` when the parts have none.
    private static func runOrder(_ parts: [ShardedReport], names: [String]) throws(MergeError) -> [String]? {
        let records = parts.map(\.shard)
        if records.allSatisfy({ $0 == nil }) { return nil }
        if let index = records.firstIndex(where: { $0 == nil }) {
            throw MergeError("\(names[index]) is not a shard, but other parts are: merge the shards of one run")
        }
        let first = records[0]!
        var seen = [Int: String]()
        for (offset, record) in records.map({ $0! }).enumerated() {
            let name = names[offset]
            guard let spec = record.spec else {
                throw MergeError("\(name): invalid shard \(record.index)/\(record.count)")
            }
            guard record.count == first.count, record.checks == first.checks else {
                throw MergeError(
                    "\(name) (shard \(spec)) and \(names[0]) (shard \(first.index)/\(first.count)) are shards of "
                        + "different runs: their check lists differ")
            }
            if let other = seen[spec.index] { throw MergeError("\(other) and \(name) are both shard \(spec)") }
            seen[spec.index] = name
            let assignment = ShardSpec.assignment(of: record.checks, count: spec.count)
            let checks = parts[offset].report.checks
            if let stray = checks.first(where: { $0.stripe == nil && assignment[$0.id] != spec.index }) {
                throw MergeError("\(name) holds check '\(stray.id)', which is not in shard \(spec) of its run")
            }
            if let stray = checks.first(where: {
                $0.stripe.map { $0.index != spec.index || $0.count != spec.count } ?? false
            }) {
                throw MergeError(
                    "\(name) (shard \(spec)) holds stripe \(stray.stripe!.index)/\(stray.stripe!.count) of check "
                        + "'\(stray.id)'")
            }
        }
        let absent = (1...first.count).filter { seen[$0] == nil }
        if !absent.isEmpty {
            let list = absent.map { "\($0)/\(first.count)" }.joined(separator: ", ")
            throw MergeError("shard\(absent.count == 1 ? "" : "s") \(list) missing: give every shard of the run")
        }
        return first.checks
    }

    private static func requireSame<Value: Equatable>(
        _ field: KeyPath<VerifyReport, Value>, _ what: String, _ report: VerifyReport, _ reference: VerifyReport,
        _ name: String, _ referenceName: String
    ) throws(MergeError) {
        guard report[keyPath: field] == reference[keyPath: field] else {
            throw MergeError(
                "\(name) and \(referenceName) differ in \(what) (\(report[keyPath: field]) vs "
                    + "\(reference[keyPath: field])): merge only the shards of one run")
        }
    }
}

/// Results that cannot be merged, and why.
public struct MergeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension VerifyReport {
    /// The candidate's handshake in one line, for messages.
    fileprivate var candidateSummary: String {
        let info = candidate
        return "\(info.name) \(info.version), profile \(info.profile), dtypes "
            + info.dtypes.map(\.rawValue).joined(separator: "/") + ", features "
            + (info.features.isEmpty ? "none" : info.features.map(\.rawValue).joined(separator: "/"))
    }
}
