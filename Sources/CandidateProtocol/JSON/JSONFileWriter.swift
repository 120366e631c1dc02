extension JSONValue {
    /// The value as the text of a results file or a reproducer: the layout Foundation's `JSONEncoder` writes
    /// with `.prettyPrinted` and `.withoutEscapingSlashes` (two-space indent, `"key" : value`, an empty
    /// array as `[`, a blank line and `]`), or with neither whitespace nor newlines when `pretty` is false.
    /// No trailing newline.
    ///
    /// Members are written in their order; ``JSONValueEncoder`` sorts them. Numbers are written as
    /// `JSONEncoder` writes them, Swift's shortest round-trip form without a trailing `.0` (`1`, `0.1`,
    /// `1e-06`, `1e+16`), except -0.0, which is `-0.0` rather than `-0`, so that readers that take `-0` for
    /// the integer 0 (Python's `json`) keep its sign.
    ///
    /// - Throws: ``JSONError`` for a non-finite number (``JSONValueEncoder`` writes them as strings).
    package func fileText(pretty: Bool = true) throws(JSONError) -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        try writer.writeFileStyle(self, pretty: pretty, indent: 0)
        return writer.bytes
    }
}

extension JSONWriter {
    /// Writes a value in the layout of ``JSONValue/fileText(pretty:)``.
    package mutating func writeFileStyle(_ value: JSONValue, pretty: Bool, indent: Int) throws(JSONError) {
        switch value {
        case .number(let number):
            guard number.isFinite else {
                throw JSONError(offset: nil, reason: "the number \(number) cannot be written in JSON")
            }
            if number == 0 && number.sign == .minus {
                raw("-0.0")
            } else {
                var text = number.description
                if text.hasSuffix(".0") { text.removeLast(2) }
                bytes.append(contentsOf: text.utf8)
            }
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            if pretty { bytes.append(UInt8(ascii: "\n")) }
            for (position, element) in elements.enumerated() {
                if position > 0 { bytes.append(contentsOf: pretty ? [UInt8(ascii: ","), 0x0A] : [UInt8(ascii: ",")]) }
                if pretty { spaces(indent + 2) }
                try writeFileStyle(element, pretty: pretty, indent: indent + 2)
            }
            if pretty {
                bytes.append(UInt8(ascii: "\n"))
                spaces(indent)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            if pretty { bytes.append(UInt8(ascii: "\n")) }
            for (position, member) in members.enumerated() {
                if position > 0 { bytes.append(contentsOf: pretty ? [UInt8(ascii: ","), 0x0A] : [UInt8(ascii: ",")]) }
                if pretty { spaces(indent + 2) }
                write(member.key)
                if pretty { raw(" : ") } else { bytes.append(UInt8(ascii: ":")) }
                try writeFileStyle(member.value, pretty: pretty, indent: indent + 2)
            }
            if pretty {
                bytes.append(UInt8(ascii: "\n"))
                spaces(indent)
            }
            bytes.append(UInt8(ascii: "}"))
        case .null, .bool, .integer, .unsignedInteger, .string:
            try write(value)
        }
    }

    private mutating func spaces(_ count: Int) {
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
    }
}
