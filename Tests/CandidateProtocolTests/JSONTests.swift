import CandidateProtocol
import GaussianNLL
import Testing

@Suite("JSON: strict parsing and compact writing")
struct JSONTests {
    private func parse(_ text: String, limit: Int = 1 << 20) throws(JSONError) -> JSONValue {
        try JSONValue.parse(Array(text.utf8), byteLimit: limit)
    }

    private func parseError(_ bytes: [UInt8], limit: Int = 1 << 20) -> JSONError? {
        do {
            _ = try JSONValue.parse(bytes, byteLimit: limit)
            return nil
        } catch {
            return error
        }
    }

    @Test("Every kind of value parses, with whitespace around and between tokens")
    func kinds() throws {
        let value = try parse(" {\"a\" : [1, -2.5, true, false, null, \"x\", {}, []] ,\n\t\"b\":{\"c\":0}}\r\n")
        #expect(
            value
                == .object([
                    JSONMember("a", [1, -2.5, true, false, nil, "x", .object([]), .array([])]),
                    JSONMember("b", ["c": 0]),
                ]))
        #expect(value["b"]?["c"]?.integerValue == 0)
        #expect(value["missing"] == nil)
        #expect(try parse("7") == 7)
        #expect(try parse("\"\"") == "")
    }

    @Test(
        "Numbers: integers that fit in Int, everything else the nearest Double",
        arguments: [
            ("0", JSONValue.integer(0)),
            ("-0", .number(-0.0)),
            ("42", .integer(42)),
            ("-17", .integer(-17)),
            ("9223372036854775807", .integer(.max)),
            ("-9223372036854775808", .integer(.min)),
            ("9223372036854775808", .number(9_223_372_036_854_775_808.0)),
            ("12345678901234567890123", .number(1.2345678901234568e22)),
            ("1e3", .number(1000)),
            ("1E+3", .number(1000)),
            ("-1.5e-3", .number(-0.0015)),
            ("0.1", .number(0.1)),
            ("2.5E2", .number(250)),
            ("1e-400", .number(0)),
            ("-0.0", .number(-0.0)),
            ("5e-324", .number(.leastNonzeroMagnitude)),
            ("1.7976931348623157e308", .number(.greatestFiniteMagnitude)),
            ("2.225073858507201e-308", .number(Double(bitPattern: 0x000F_FFFF_FFFF_FFFF))),
        ])
    func numbers(text: String, expected: JSONValue) throws {
        let value = try parse(text)
        #expect(value == expected)
        #expect(value.doubleValue?.sign == expected.doubleValue?.sign)
    }

    @Test("Every finite Double survives writing and parsing, bit for bit")
    func doubleRoundTrip() throws {
        var generator = SeededRandomNumberGenerator(seed: 7)
        var values: [Double] = [
            0, -0.0, 1, -1, 0.1, 1e-6, 1e16, 1e300, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
            .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne,
            Double(Float.leastNonzeroMagnitude), 123_456_789_012_345_680,
        ]
        for _ in 0..<2000 {
            let value = Double(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        for value in values {
            let text = try JSONValue.number(value).encoded()
            let parsed = try JSONValue.parse(text, byteLimit: 64)
            #expect(parsed.doubleValue?.bitPattern == value.bitPattern, "\(value)")
        }
    }

    @Test("A non-finite number cannot be written")
    func nonFinite() {
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(throws: JSONError.self) { try JSONValue.array([.number(value)]).encoded() }
        }
    }

    @Test("Escapes are decoded, surrogate pairs joined")
    func escapes() throws {
        let value = try parse(#""\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 é""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\té€😀 é"))
    }

    @Test("Strings are written with only the escapes JSON needs, and parse back")
    func writingStrings() throws {
        let text = "quote \" backslash \\ newline \n tab \t bell \u{7} nul \u{0} unicode é😀 slash /"
        let encoded = try JSONValue.string(text).encodedString()
        #expect(
            encoded == #""quote \" backslash \\ newline \n tab \t bell \u0007 nul \u0000 unicode é😀 slash /""#)
        #expect(try parse(encoded) == .string(text))
    }

    @Test("Values round-trip through writing and parsing")
    func roundTrip() throws {
        let values: [JSONValue] = [
            nil, true, false, 0, -1, .integer(.max), .integer(.min), 0.5, -0.0, "", "ä\n\"",
            ["a": [1, 2, ["b": nil]], "c": "d"], [[[[]]]],
        ]
        for value in values {
            let encoded = try value.encoded()
            #expect(try JSONValue.parse(encoded, byteLimit: 1 << 16) == value)
        }
        #expect(
            try JSONValue.object([JSONMember("a", 1), JSONMember("b", [true])]).encodedString()
                == #"{"a":1,"b":[true]}"#)
    }

    @Test("Duplicate keys are kept in order; lookups find the last, as Python does")
    func duplicateKeys() throws {
        let value = try parse(#"{"k": 1, "k": 2}"#)
        #expect(value["k"] == 2)
        #expect(value.objectValue?.count == 2)
        #expect(try value.encodedString() == #"{"k":1,"k":2}"#)
    }

    @Test("Nesting up to 64 levels parses; deeper is an error, without deep recursion")
    func depth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parse(ok) }
        let objects = String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64)
        #expect(throws: Never.self) { try parse(objects) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = parseError(Array(tooDeep.utf8))
        #expect(error?.offset == 64)
        #expect(error?.reason.contains("deeper than 64") == true)
        let hostile = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(parseError(hostile)?.offset == 64)
    }

    @Test("Input longer than the byte limit is refused before parsing")
    func byteLimit() {
        let error = parseError(Array("[1, 2, 3]".utf8), limit: 5)
        #expect(error?.offset == 5)
        #expect(error?.description.contains("limit of 5 bytes") == true)
        #expect(parseError(Array("[1,2]".utf8), limit: 5) == nil)
    }

    @Test(
        "Malformed text is an error at the right byte offset",
        arguments: [
            ("", 0, "end of input"),
            ("   ", 3, "end of input"),
            ("[1, 2", 5, "end of input"),
            ("[1,]", 3, "expected a value"),
            ("{\"a\" 1}", 5, "expected ':'"),
            ("{\"a\":1,}", 7, "member name"),
            ("{a:1}", 1, "member name"),
            ("01", 1, "leading zero"),
            ("-01", 2, "leading zero"),
            ("1.", 2, "digit after '.'"),
            (".5", 0, "expected a value"),
            ("-", 1, "digit"),
            ("+1", 0, "expected a value"),
            ("1e", 2, "exponent"),
            ("1e+", 3, "exponent"),
            ("1e400", 0, "too large"),
            ("-1e400", 0, "too large"),
            ("tru", 0, "'true'"),
            ("nul", 0, "'null'"),
            ("NaN", 0, "expected a value"),
            ("Infinity", 0, "expected a value"),
            ("\"abc", 4, "end of input in a string"),
            ("\"a\\x\"", 2, "invalid escape"),
            ("\"\\u12zz\"", 5, "hexadecimal"),
            ("\"\\u12", 3, "end of input"),
            ("\"\\ud800\"", 1, "low surrogate"),
            ("\"\\ud800\\u0041\"", 1, "low surrogate"),
            ("\"\\udc00\"", 1, "lone low surrogate"),
            ("\"a\tb\"", 2, "control character"),
            ("1 2", 2, "after the value"),
            ("{} x", 3, "after the value"),
            ("[1] ]", 4, "after the value"),
            ("[1 2]", 3, "expected ',' or ']'"),
            ("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'"),
        ])
    func malformed(text: String, offset: Int, fragment: String) {
        let error = parseError(Array(text.utf8))
        #expect(error?.offset == offset, "\(text): \(String(describing: error))")
        #expect(error?.reason.contains(fragment) == true, "\(text): \(String(describing: error))")
    }

    @Test(
        "Invalid UTF-8 is an error, in strings and out",
        arguments: [
            ([0x22, 0xFF, 0x22], 1),  // never valid
            ([0x22, 0x61, 0xC0, 0x80, 0x22], 2),  // overlong NUL
            ([0x22, 0xE0, 0x80, 0xAF, 0x22], 1),  // overlong '/'
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // a surrogate, encoded
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
            ([0x22, 0xE2, 0x82, 0x22], 1),  // cut off
            ([0x22, 0xE2, 0x82], 1),  // cut off at the end
            ([0x22, 0x80, 0x22], 1),  // a lone continuation byte
            ([0x22, 0x5C, 0x6E, 0xC3, 0x28, 0x22], 3),  // after an escape
            ([0xC3, 0xA9], 0),  // outside a string
        ] as [([UInt8], Int)])
    func invalidUTF8(bytes: [UInt8], offset: Int) {
        let error = parseError(bytes)
        #expect(error?.offset == offset, "\(bytes): \(String(describing: error))")
    }

    @Test("Valid multi-byte UTF-8 at the edges of each range is accepted")
    func validUTF8() throws {
        let text = "\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFF}\u{10000}\u{10FFFF}"
        #expect(try JSONValue.parse([0x22] + Array(text.utf8) + [0x22], byteLimit: 100) == .string(text))
    }

    @Test("Errors describe themselves with the offset")
    func errorDescription() {
        #expect(
            parseError(Array("[1,]".utf8))?.description == "invalid JSON at byte 3: unexpected ']', expected a value")
    }
}
