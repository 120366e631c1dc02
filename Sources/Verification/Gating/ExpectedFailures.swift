internal import Foundation

/// A list of checks that are known to fail, after protobuf's conformance failure lists.
///
/// One check id per line. A `#` starts a comment, on a line of its own or after an id; blank lines are
/// ignored. The comment is the reason: the one after the id, or else the comment lines directly above it
/// (a comment paragraph applies to the ids below it, up to the next blank line).
///
/// ```text
/// # This candidate computes in float32 and rounds once.
/// golden.dtypes
/// property.bf16_accuracy    # bfloat16 subnormals are flushed to zero
/// ```
///
/// A listed check that fails does not fail the verdict. A listed check that passes does, because the
/// list is stale; a listed check that ends in an error still fails it, because the list covers failures,
/// not checks that could not run. An id that names no check is a usage error. See ``gate(_:knownIDs:)``
/// and ``fixed(for:)``.
public struct ExpectedFailures: Sendable, Equatable {
    /// One listed check.
    public struct Entry: Sendable, Hashable {
        public var id: String
        /// The comment after the id, or else the comment lines directly above it; `nil` when neither.
        public var reason: String?
        /// The 1-based line of the id in the file.
        public var line: Int
    }

    /// The file the list was read from, for messages; written back by ``Fix/write()``.
    public var path: String
    /// The listed checks, in file order.
    public var entries: [Entry] { lines.compactMap(\.entry) }

    /// The file as lines, so that a rewrite keeps what it does not change.
    var lines: [Line]
    /// The line terminator: "\r\n" when the file used it, else "\n".
    var lineEnding = "\n"
    /// Whether the text ended with a line terminator.
    var endsWithNewline = true

    /// One line of the file.
    struct Line: Sendable, Equatable {
        var text: String
        /// The group of comment lines and ids the line belongs to; 0 for blank lines.
        var group: Int
        var entry: Entry?
        /// Whether an id has a comment after it on its line (else its group's comment lines are its reason).
        var hasOwnComment = false
        var isBlank: Bool { group == 0 }
    }

    private enum LineKind { case blank, comment, entry }

    /// An empty list: nothing is expected to fail.
    public init(path: String = "") {
        self.path = path
        lines = []
    }

    /// Parses a list.
    ///
    /// - Throws: ``ExpectedFailuresError`` naming the line, for a line with more than one word before its
    ///   comment, or an id listed twice.
    public static func parse(_ text: String, path: String) throws(ExpectedFailuresError) -> ExpectedFailures {
        var list = ExpectedFailures(path: path)
        if text.contains("\r\n") { list.lineEnding = "\r\n" }
        var rawLines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        list.endsWithNewline = rawLines.last == ""
        if list.endsWithNewline { rawLines.removeLast() }
        var firstLine = [String: Int]()
        // A group is a block of comment lines and the ids directly below it; it ends at a blank line or at
        // a comment after an id. The block is the reason of each id in the group that has no comment of its own.
        var group = 0
        var groupComments = [String]()
        var previous = LineKind.blank
        for (offset, raw) in rawLines.enumerated() {
            let number = offset + 1
            let (code, comment) = split(raw)
            let words = code.split(whereSeparator: \.isWhitespace)
            let kind: LineKind = words.isEmpty ? (comment == nil ? .blank : .comment) : .entry
            if kind != .blank && (previous == .blank || (kind == .comment && previous == .entry)) {
                group += 1
                groupComments = []
            }
            var line = Line(text: raw, group: kind == .blank ? 0 : group)
            switch words.count {
            case 0:
                if let comment, !comment.isEmpty { groupComments.append(comment) }
            case 1:
                let id = String(words[0])
                if let first = firstLine[id] {
                    throw ExpectedFailuresError(
                        path: path, line: number, message: "'\(id)' is listed twice (first on line \(first))")
                }
                firstLine[id] = number
                let reason =
                    comment.flatMap { $0.isEmpty ? nil : $0 }
                    ?? (groupComments.isEmpty ? nil : groupComments.joined(separator: " "))
                line.entry = Entry(id: id, reason: reason, line: number)
                line.hasOwnComment = comment.map { !$0.isEmpty } ?? false
            default:
                throw ExpectedFailuresError(
                    path: path, line: number,
                    message: "expected one check id per line, found \(words.count) words: '\(code)'"
                        + " (a reason goes after '#')")
            }
            previous = kind
            list.lines.append(line)
        }
        return list
    }

    /// Reads and parses a list file.
    ///
    /// - Parameter missingIsEmpty: Whether a file that does not exist reads as an empty list (for
    ///   `--fix-expected-failures`, which creates it).
    public static func read(from path: String, missingIsEmpty: Bool = false) throws -> ExpectedFailures {
        if missingIsEmpty && !FileManager.default.fileExists(atPath: path) { return ExpectedFailures(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ExpectedFailuresError(path: path, line: nil, message: "cannot read the file: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ExpectedFailuresError(path: path, line: nil, message: "the file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// The list as file text.
    public var text: String {
        let body = lines.map(\.text).joined(separator: lineEnding)
        return lines.isEmpty ? "" : body + (endsWithNewline ? lineEnding : "")
    }

    /// Whether a check is listed.
    public func contains(_ id: String) -> Bool {
        entries.contains { $0.id == id }
    }

    /// The entry for a check, if listed.
    public func entry(for id: String) -> Entry? {
        entries.first { $0.id == id }
    }

    /// The entries that name no check of the suite: a usage error, which `gnll verify` can report before it
    /// runs anything.
    public func unknownEntries(knownIDs: some Sequence<String>) -> [Entry] {
        let known = Set(knownIDs)
        return entries.filter { !known.contains($0.id) }
    }

    /// Where an entry is, as `FILE:LINE`.
    public func location(of entry: Entry) -> String {
        "\(path.isEmpty ? "<expected failures>" : path):\(entry.line)"
    }

    /// A code part and a comment part (`nil` without a `#`), both trimmed.
    private static func split(_ line: String) -> (code: String, comment: String?) {
        guard let hash = line.firstIndex(of: "#") else { return (line.trimmed, nil) }
        return (String(line[..<hash]).trimmed, String(line[line.index(after: hash)...]).trimmed)
    }
}

/// A list that cannot be read: where, and why.
public struct ExpectedFailuresError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// The 1-based line, when the error is in one.
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: message`.
    public var description: String {
        "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
