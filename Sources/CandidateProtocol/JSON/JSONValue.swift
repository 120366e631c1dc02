/// A JSON value, as the candidate protocol's messages are written.
///
/// Numbers written as integers (no fraction, no exponent) that fit in `Int` are ``integer(_:)``;
/// every other number is ``number(_:)``, the nearest `Double`. `-0` is `number(-0.0)`, so that its
/// sign survives. A number whose magnitude is too large for a `Double` is a parse error, so a parsed
/// value never holds an infinity or NaN.
///
/// An object keeps its members in the order they were written, duplicates included; ``subscript(_:)``
/// finds the last member with a key, which is what Python's `json` module does with duplicates.
///
/// ```swift
/// let value = try JSONValue.parse(Array(#"{"id": 7, "ok": true}"#.utf8), byteLimit: 1 << 20)
/// value["id"]?.integerValue  // 7
/// ```
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number: the nearest `Double`.
    case number(Double)
    /// A non-negative integer above `Int.max` that fits in `UInt64`, kept exactly. The protocol's
    /// ``parse(_:byteLimit:)`` never makes one (such a number is a ``number(_:)`` there); only
    /// ``parse(_:byteLimit:unsignedIntegers:)`` with `unsignedIntegers` does, for files that hold `UInt64`
    /// seeds.
    case unsignedInteger(UInt64)
    /// A string, its escapes decoded.
    case string(String)
    /// The elements in order.
    case array([JSONValue])
    /// The members in order; duplicate keys are kept.
    case object([JSONMember])

    /// The nesting depth the parser accepts: arrays and objects nested at most this deep.
    public static let maximumDepth = 64

    /// The value of the last member named `key`, or `nil` when there is none or this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members.reversed() where member.key == key {
            return member.value
        }
        return nil
    }

    /// The integer, or `nil` when this is not an ``integer(_:)``.
    public var integerValue: Int? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The number as a `Double`, from either kind of number; `nil` for any other value.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        case .unsignedInteger(let value): Double(value)
        default: nil
        }
    }

    /// The Boolean, or `nil` when this is not a ``bool(_:)``.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The string, or `nil` when this is not a ``string(_:)``.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, or `nil` when this is not an ``array(_:)``.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, or `nil` when this is not an ``object(_:)``.
    public var objectValue: [JSONMember]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Whether this is ``null``.
    public var isNull: Bool { self == .null }

    /// The name of the value's kind, for messages: "null", "a Boolean", "an integer", and so on.
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a Boolean"
        case .integer: "an integer"
        case .number, .unsignedInteger: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    /// The member's name.
    public var key: String
    /// The member's value.
    public var value: JSONValue

    /// Makes a member.
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is ``null``.
    public init(nilLiteral: ()) { self = .null }
    /// A Boolean literal is ``bool(_:)``.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal is ``integer(_:)``.
    public init(integerLiteral value: Int) { self = .integer(value) }
    /// A float literal is ``number(_:)``.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A string literal is ``string(_:)``.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal is ``array(_:)``.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal is ``object(_:)``, its members in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { JSONMember($0.0, $0.1) })
    }
}

/// A JSON text that cannot be parsed, or a value that cannot be written as JSON.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The byte offset in the input where parsing failed; `nil` for a writing error.
    public var offset: Int?
    /// What is wrong.
    public var reason: String

    /// Makes an error; `offset` is `nil` for a writing error.
    public init(offset: Int?, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// `invalid JSON at byte N: reason`, or `cannot write JSON: reason`.
    public var description: String {
        if let offset { "invalid JSON at byte \(offset): \(reason)" } else { "cannot write JSON: \(reason)" }
    }
}
