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
