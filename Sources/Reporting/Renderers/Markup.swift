internal import Foundation
internal import Verification

/// Escaping for the markup languages the renderers write.
enum Markup {
    /// Text for an XML 1.0 document (and for HTML written as well-formed XML): `&`, `<` and `>` become
    /// entities; in attribute values `"`, tab, line feed and carriage return too, so that a parser does
    /// not normalize them to spaces. Characters that XML 1.0 forbids even as character references (C0
    /// controls other than tab, line feed and carriage return; U+FFFE and U+FFFF) are shown as their
    /// Unicode control pictures (U+0000 as ␀, U+001B as ␛) or as U+FFFD; DEL and the C1 controls, which XML
    /// allows but a terminal showing the file would obey, are shown as ␡ and `\u{9B}`.
    static func xml(_ text: String, attribute: Bool = false) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"" where attribute: escaped += "&quot;"
            case "\t" where attribute: escaped += "&#9;"
            case "\n" where attribute: escaped += "&#10;"
            case "\r": escaped += "&#13;"
            case "\t", "\n": escaped.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) {
                    escaped += String(scalar).showingControlCharacters()
                } else if scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    escaped += "\u{FFFD}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }

    /// Inline Markdown text: characters that start emphasis, code, links, HTML or table cells are
    /// backslash-escaped, line breaks become spaces, and other control characters are shown
    /// (``Swift/String/showingControlCharacters(keepingTabs:)``).
    static func markdown(_ text: String) -> String {
        var escaped = ""
        for character in text.replacingOccurrences(of: "\r\n", with: "\n").showingControlCharacters() {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "#", "|", "~", "!", "&":
                escaped.append("\\")
                escaped.append(character)
            case "\n":
                escaped.append(" ")
            default:
                escaped.append(character)
            }
        }
        return escaped
    }

    /// A fenced Markdown code block whose fence is longer than any run of backticks in the text; control
    /// characters but line feed and tab are shown (``Swift/String/showingControlCharacters(keepingTabs:)``).
    static func markdownCodeBlock(_ text: String, language: String = "") -> String {
        let text = text.showingControlCharacters()
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        let body = text.hasSuffix("\n") ? text : text + "\n"
        return "\(fence)\(language)\n\(body)\(fence)\n"
    }
}

/// Numbers as the reports print them.
enum Numbers {
    /// A ratio of error to bound: three significant digits, scientific when small or large.
    static func ratio(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "∞" : "-∞" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 0.001 && magnitude < 10_000 { return String(format: "%.3g", value) }
        return String(format: "%.2e", value)
    }
}

extension String {
    /// At most `limit` characters, ending with "…" when shortened.
    func truncated(to limit: Int) -> String {
        count <= limit ? self : String(prefix(limit - 1)) + "…"
    }
}
