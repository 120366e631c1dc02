public import Conformance
internal import Foundation

extension ExpectedFailures {
    /// A rewritten list: stale entries removed, new failures added.
    public struct Fix: Sendable, Equatable {
        /// The list as it should be.
        public var list: ExpectedFailures
        /// Checks removed because they pass now, in file order.
        public var removed: [String]
        /// Checks added because they fail and were not listed, in report order.
        public var added: [String]

        /// Whether the list changes.
        public var changesList: Bool { !removed.isEmpty || !added.isEmpty }

        /// `removed stale expected failure: ID` and `added expected failure: ID` lines.
        public var lines: [String] {
            removed.map { "removed stale expected failure: \($0)" } + added.map { "added expected failure: \($0)" }
        }

        /// Writes the list to its path atomically (nothing is written when it does not change).
        public func write() throws {
            guard changesList else { return }
            try AtomicFile.write(Data(list.text.utf8), to: list.path)
        }
    }

    /// Brings the list up to date with a report (``fixed(for:)``) and writes it to its path.
    ///
    /// - Throws: ``VerificationError`` naming the list's path when it cannot be written.
    public func fixAndWrite(for report: VerifyReport) throws(VerificationError) -> Fix {
        let fix = fixed(for: report)
        do { try fix.write() } catch { throw VerificationError("cannot write \(path): \(error)") }
        return fix
    }

    /// The comment `--fix-expected-failures` puts after the ids it adds.
    public static let addedComment = "added by --fix-expected-failures"

    /// The list brought up to date with a report, as `--fix-expected-failures` writes it.
    ///
    /// Entries of checks that passed are removed, with the comment lines above them once no id that they
    /// explain remains (an id with a comment on its own line does not need them); every other line stays as
    /// it was, unknown ids included (they remain a usage error, to be fixed by hand), and so do entries of
    /// checks that did not run, ended in an error or are not in the report (another shard). Checks that
    /// failed or did not run and are not listed are added at the end, each as
    /// `ID  # added by --fix-expected-failures: <first line of the failure message>` (for a check that did not
    /// run, the message says why). Errors are not added: the list covers failures only.
    public func fixed(for report: VerifyReport) -> Fix {
        let statuses = Dictionary(
            report.checks.map { ($0.id, $0.status) },
            uniquingKeysWith: { first, second in
                // A check id that appears twice is stale only if it passed every time.
                first == .passed ? second : first
            })
        let staleIDs = Set(entries.filter { statuses[$0.id] == .passed }.map(\.id))
        var removedLine = lines.map { $0.entry.map { staleIDs.contains($0.id) } ?? false }
        // A group's comment lines go with the ids they are the reason of (those without a comment of their
        // own), or with every id of the group.
        let groups = Dictionary(grouping: lines.indices.filter { !lines[$0].isBlank }, by: { lines[$0].group })
        for members in groups.values {
            let ids = members.filter { lines[$0].entry != nil }
            let explained = ids.filter { !lines[$0].hasOwnComment }
            let allGone = !ids.isEmpty && ids.allSatisfy { removedLine[$0] }
            let explainedGone = !explained.isEmpty && explained.allSatisfy { removedLine[$0] }
            if allGone || explainedGone {
                for index in members where lines[index].entry == nil { removedLine[index] = true }
            }
        }
        var kept = [Line]()
        var removedSinceKept = false
        for (index, line) in lines.enumerated() {
            if removedLine[index] {
                removedSinceKept = true
                continue
            }
            // Removing a group must not leave two blank lines in a row, or one at the top.
            if line.isBlank && removedSinceKept && (kept.last?.isBlank ?? true) { continue }
            kept.append(line)
            removedSinceKept = false
        }
        while removedSinceKept, kept.last?.isBlank == true { kept.removeLast() }

        var list = self
        list.lines = kept
        let listedIDs = Set(entries.map(\.id))
        var added = [String]()
        var nextGroup = (lines.map(\.group).max() ?? 0) + 1
        for check in report.checks
        where (check.status == .failed || check.status == .skipped) && !listedIDs.contains(check.id) {
            guard !added.contains(check.id) else { continue }
            if added.isEmpty, let last = list.lines.last, !last.isBlank {
                list.lines.append(Line(text: "", group: 0))
            }
            let firstLine = (check.failure?.message ?? "").firstLine.trimmed
            let comment = firstLine.isEmpty ? Self.addedComment : "\(Self.addedComment): \(firstLine)"
            let text = "\(check.id)  # \(comment)"
            list.lines.append(
                Line(
                    text: text, group: nextGroup, entry: Entry(id: check.id, reason: comment, line: 0),
                    hasOwnComment: true))
            nextGroup += 1
            added.append(check.id)
        }
        list.endsWithNewline = list.endsWithNewline || !added.isEmpty
        list.renumber()
        let removed = entries.filter { staleIDs.contains($0.id) }.map(\.id)
        return Fix(list: list, removed: removed, added: added)
    }

    /// Sets each entry's line number to its place in the text.
    private mutating func renumber() {
        for index in lines.indices where lines[index].entry != nil {
            lines[index].entry?.line = index + 1
        }
    }
}
