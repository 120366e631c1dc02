/// Encodes a `Codable` value as a ``JSONValue``, with the conventions of the suite's files (results files,
/// reproducers): every object's members sorted by key (by Unicode scalar, as `JSONEncoder`'s `.sortedKeys`),
/// integers as ``JSONValue/integer(_:)`` (or ``JSONValue/unsignedInteger(_:)`` above `Int.max`), floating-point
/// numbers as ``JSONValue/number(_:)``, and infinities and NaN as the strings `"inf"`, `"-inf"` and `"nan"`.
///
/// A `nil` optional is left out, as synthesized `Codable` conformances ask. Encoding into a container that
/// a value already made adds to it, so a wrapper can encode a value and then members of its own beside it.
///
/// ```swift
/// let bytes = try JSONValueEncoder().encode(report).fileText()
/// ```
package struct JSONValueEncoder {
    package init() {}

    /// The value as JSON.
    package func encode(_ value: some Encodable) throws -> JSONValue {
        let node = EncodingNode()
        try value.encode(to: ValueEncoder(node: node, codingPath: []))
        return node.value
    }
}

/// A value under construction; objects and arrays hold nodes, so that containers can be filled later.
final class EncodingNode {
    enum Content {
        case empty
        case value(JSONValue)
        case object([String: EncodingNode])
        case array([EncodingNode])
    }

    var content = Content.empty

    /// The finished value; an object's members sorted by key, a node nothing was encoded into `{}`.
    var value: JSONValue {
        switch content {
        case .empty: return .object([])
        case .value(let value): return value
        case .array(let nodes): return .array(nodes.map(\.value))
        case .object(let members):
            return .object(
                members.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
                    .map { JSONMember($0.key, $0.value.value) })
        }
    }

    func makeObject() {
        if case .object = content { return }
        content = .object([:])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }

    func set(_ key: String, _ node: EncodingNode) {
        guard case .object(var members) = content else { return }
        content = .empty
        members[key] = node
        content = .object(members)
    }

    func append(_ node: EncodingNode) {
        guard case .array(var nodes) = content else { return }
        content = .empty
        nodes.append(node)
        content = .array(nodes)
    }

    var count: Int {
        if case .array(let nodes) = content { return nodes.count }
        return 0
    }

    static func leaf(_ value: JSONValue) -> EncodingNode {
        let node = EncodingNode()
        node.content = .value(value)
        return node
    }
}

/// The JSON of a floating-point number: a number, or `"inf"`, `"-inf"` or `"nan"`.
func jsonNumber(_ value: Double) -> JSONValue {
    if value.isNaN { return .string("nan") }
    if value.isInfinite { return .string(value < 0 ? "-inf" : "inf") }
    return .number(value)
}

func jsonInteger(_ value: some BinaryInteger) -> JSONValue {
    if let integer = Int(exactly: value) { return .integer(integer) }
    return .unsignedInteger(UInt64(value))
}

struct ValueEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedValueEncoder<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedValueEncoder(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueEncoder(node: node, codingPath: codingPath)
    }
}

struct SingleValueEncoder: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .value(.null) }
    mutating func encode(_ value: Bool) throws { node.content = .value(.bool(value)) }
    mutating func encode(_ value: String) throws { node.content = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { node.content = .value(jsonNumber(value)) }
    mutating func encode(_ value: Float) throws { node.content = .value(jsonNumber(Double(value))) }
    mutating func encode(_ value: Int) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: Int8) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: Int16) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: Int32) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: Int64) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: UInt) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: UInt8) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: UInt16) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: UInt32) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: UInt64) throws { node.content = .value(jsonInteger(value)) }
    mutating func encode(_ value: some Encodable) throws {
        try value.encode(to: ValueEncoder(node: node, codingPath: codingPath))
    }
}

struct KeyedValueEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue, _ key: Key) { node.set(key.stringValue, .leaf(value)) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(jsonNumber(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(jsonNumber(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(jsonInteger(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(jsonInteger(value), key) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        let child = EncodingNode()
        try value.encode(to: ValueEncoder(node: child, codingPath: codingPath + [key]))
        node.set(key.stringValue, child)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        child.makeObject()
        node.set(key.stringValue, child)
        return KeyedEncodingContainer(KeyedValueEncoder<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        child.makeArray()
        node.set(key.stringValue, child)
        return UnkeyedValueEncoder(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        superEncoder(forKey: Key(stringValue: "super")!)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = EncodingNode()
        node.set(key.stringValue, child)
        return ValueEncoder(node: child, codingPath: codingPath + [key])
    }
}

/// An array index as a coding key.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct UnkeyedValueEncoder: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int { node.count }

    private func put(_ value: JSONValue) { node.append(.leaf(value)) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(jsonNumber(value)) }
    mutating func encode(_ value: Float) throws { put(jsonNumber(Double(value))) }
    mutating func encode(_ value: Int) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: Int8) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: Int16) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: Int32) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: Int64) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: UInt) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: UInt8) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: UInt16) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: UInt32) throws { put(jsonInteger(value)) }
    mutating func encode(_ value: UInt64) throws { put(jsonInteger(value)) }

    mutating func encode(_ value: some Encodable) throws {
        let child = EncodingNode()
        try value.encode(to: ValueEncoder(node: child, codingPath: codingPath + [IndexKey(count)]))
        node.append(child)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        child.makeObject()
        let path = codingPath + [IndexKey(count)]
        node.append(child)
        return KeyedEncodingContainer(KeyedValueEncoder<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        child.makeArray()
        let path = codingPath + [IndexKey(count)]
        node.append(child)
        return UnkeyedValueEncoder(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let child = EncodingNode()
        let path = codingPath + [IndexKey(count)]
        node.append(child)
        return ValueEncoder(node: child, codingPath: path)
    }
}
