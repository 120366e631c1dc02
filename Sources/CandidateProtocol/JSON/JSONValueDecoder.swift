/// Decodes a `Codable` value from a ``JSONValue``, with the conventions of ``JSONValueEncoder``: the strings
/// `"inf"`, `"-inf"` and `"nan"` are floating-point numbers, integers and floating-point numbers stay apart
/// (an integer type takes only a number with an exact integer value), and an object with a duplicate key is
/// an error (a file edited by hand or by a tool must not say two things at once and be read as one of them).
///
/// Errors are `DecodingError`s whose coding path names the member that is wrong, so that a caller can say
/// where: `checks[3].status`.
///
/// ```swift
/// let value = try JSONValue.parse(bytes, byteLimit: .max, unsignedIntegers: true)
/// let report = try JSONValueDecoder().decode(VerifyReport.self, from: value)
/// ```
package struct JSONValueDecoder {
    package init() {}

    /// A value of `type` from JSON.
    package func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: ValueDecoder(value: value, codingPath: []))
    }

    /// A value of `type` from JSON text, parsed strictly (``JSONValue/parse(_:byteLimit:unsignedIntegers:)``).
    ///
    /// - Throws: ``JSONError`` for text that is not JSON, `DecodingError` for JSON that is not a `type`.
    package func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try decode(type, from: try JSONValue.parse(bytes, byteLimit: .max, unsignedIntegers: true))
    }
}

private func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    .typeMismatch(
        type,
        DecodingError.Context(
            codingPath: path, debugDescription: "expected \(describe(type)), found \(value.kindDescription)"))
}

private func describe(_ type: Any.Type) -> String {
    switch type {
    case is Bool.Type: "a Boolean"
    case is String.Type: "a string"
    case is Double.Type, is Float.Type: "a number"
    case is any BinaryInteger.Type: "an integer (\(type))"
    default: "\(type)"
    }
}

private func decodeDouble(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
    switch value {
    case .integer(let integer): return Double(integer)
    case .unsignedInteger(let integer): return Double(integer)
    case .number(let number): return number
    case .string("inf"): return .infinity
    case .string("-inf"): return -.infinity
    case .string("nan"): return .nan
    default: throw mismatch(Double.self, value, path)
    }
}

private func decodeInteger<T: FixedWidthInteger>(
    _ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]
) throws
    -> T
{
    let result: T?
    switch value {
    case .integer(let integer): result = T(exactly: integer)
    case .unsignedInteger(let integer): result = T(exactly: integer)
    case .number(let number): result = T(exactly: number)
    default: throw mismatch(type, value, path)
    }
    guard let result else {
        throw DecodingError.dataCorrupted(
            DecodingError.Context(codingPath: path, debugDescription: "the number does not fit in \(type)"))
    }
    return result
}

private func decodeBool(_ value: JSONValue, _ path: [any CodingKey]) throws -> Bool {
    guard case .bool(let flag) = value else { throw mismatch(Bool.self, value, path) }
    return flag
}

private func decodeString(_ value: JSONValue, _ path: [any CodingKey]) throws -> String {
    guard case .string(let string) = value else { throw mismatch(String.self, value, path) }
    return string
}

struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            if value.isNull {
                throw DecodingError.valueNotFound(
                    [String: Any].self,
                    DecodingError.Context(codingPath: codingPath, debugDescription: "expected an object, found null"))
            }
            throw DecodingError.typeMismatch(
                [String: Any].self,
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "expected an object, found \(value.kindDescription)"))
        }
        var seen = Set<String>()
        for member in members where !seen.insert(member.key).inserted {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: codingPath + [NameKey(member.key)], debugDescription: "the key appears more than once"))
        }
        return KeyedDecodingContainer(KeyedValueDecoder<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            if value.isNull {
                throw DecodingError.valueNotFound(
                    [Any].self,
                    DecodingError.Context(codingPath: codingPath, debugDescription: "expected an array, found null"))
            }
            throw DecodingError.typeMismatch(
                [Any].self,
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "expected an array, found \(value.kindDescription)"))
        }
        return UnkeyedValueDecoder(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueDecoder(value: value, codingPath: codingPath)
    }
}

struct SingleValueDecoder: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeBool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try decodeString(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try decodeDouble(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try decodeDouble(value, codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try decodeInteger(type, value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeInteger(type, value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeInteger(type, value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeInteger(type, value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeInteger(type, value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeInteger(type, value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeInteger(type, value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeInteger(type, value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeInteger(type, value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeInteger(type, value, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: ValueDecoder(value: value, codingPath: codingPath))
    }
}

/// A member name as a coding key, for paths through dictionaries.
struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

struct KeyedValueDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    /// The members by name (``ValueDecoder`` has refused duplicates).
    let values: [String: JSONValue]
    let names: [String]
    let codingPath: [any CodingKey]

    init(members: [JSONMember], codingPath: [any CodingKey]) {
        var values: [String: JSONValue] = [:]
        var names: [String] = []
        for member in members {
            if values.updateValue(member.value, forKey: member.key) == nil { names.append(member.key) }
        }
        self.values = values
        self.names = names
        self.codingPath = codingPath
    }

    var allKeys: [Key] { names.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = values[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, DecodingError.Context(codingPath: codingPath, debugDescription: "\(key.stringValue) is missing"))
        }
        return value
    }

    private func present(_ key: Key, _ type: Any.Type) throws -> JSONValue {
        let value = try member(key)
        if value.isNull {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: codingPath + [key], debugDescription: "expected \(describe(type)), found null"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try decodeBool(present(key, type), codingPath + [key])
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try decodeString(present(key, type), codingPath + [key])
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decodeDouble(present(key, type), codingPath + [key])
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        Float(try decodeDouble(present(key, type), codingPath + [key]))
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, key) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type, _ key: Key) throws -> T {
        try decodeInteger(type, present(key, type), codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: ValueDecoder(value: try member(key), codingPath: codingPath + [key]))
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(value: try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: try member(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: values["super"] ?? .null, codingPath: codingPath + [NameKey("super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: values[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

struct UnkeyedValueDecoder: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next(_ type: Any.Type) throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [IndexKey(currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: path, debugDescription: "the array has only \(elements.count) elements"))
        }
        let value = elements[currentIndex]
        currentIndex += 1
        return (value, path)
    }

    private mutating func present(_ type: Any.Type) throws -> (JSONValue, [any CodingKey]) {
        let (value, path) = try next(type)
        if value.isNull {
            currentIndex -= 1
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(codingPath: path, debugDescription: "expected \(describe(type)), found null"))
        }
        return (value, path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        let (value, path) = try present(type)
        return try decodeBool(value, path)
    }
    mutating func decode(_ type: String.Type) throws -> String {
        let (value, path) = try present(type)
        return try decodeString(value, path)
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
        let (value, path) = try present(type)
        return try decodeDouble(value, path)
    }
    mutating func decode(_ type: Float.Type) throws -> Float {
        let (value, path) = try present(type)
        return Float(try decodeDouble(value, path))
    }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let (value, path) = try present(type)
        return try decodeInteger(type, value, path)
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next(type)
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next([String: Any].self)
        return try ValueDecoder(value: value, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next([Any].self)
        return try ValueDecoder(value: value, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next(Any.self)
        return ValueDecoder(value: value, codingPath: path)
    }
}
