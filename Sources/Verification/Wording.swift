/// A count with a noun, pluralized with "s" (`1 check`, `2 checks`), as verdicts and reports print counts.
package func counted(_ value: Int, _ noun: String) -> String {
    "\(value) \(noun)\(value == 1 ? "" : "s")"
}

extension String {
    /// The first line, without its line break.
    package var firstLine: String {
        String(prefix(while: { !$0.isNewline }))
    }
}

extension String {
    /// The text with every control character made visible, so that text a candidate or a file controls (a
    /// rejection message, a stderr tail, a check id) can neither move a terminal's cursor, set its title nor ring
    /// its bell, in a terminal or in a report: C0 controls but line feed (and tab, with `keepingTabs`) become
    /// their Unicode control pictures (ESC as ␛, BEL as ␇, carriage return as ␍), DEL becomes ␡, and C1 controls
    /// (such as U+009B, the one-byte CSI) become `\u{9B}`.
    package func showingControlCharacters(keepingTabs: Bool = true) -> String {
        var shown = ""
        shown.unicodeScalars.reserveCapacity(unicodeScalars.count)
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x0A: shown.unicodeScalars.append(scalar)
            case 0x09 where keepingTabs: shown.unicodeScalars.append(scalar)
            case 0x00..<0x20: shown.unicodeScalars.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F: shown += "\u{2421}"
            case 0x80..<0xA0: shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}
