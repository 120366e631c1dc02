package import GaussianNLL

extension JSONWriter {
    /// Writes a number; a non-finite one as the string "NaN", "Infinity" or "-Infinity" (protocol 2).
    package mutating func writeNumber(_ number: Double) {
        if number.isNaN {
            raw(#""NaN""#)
        } else if number.isInfinite {
            raw(number < 0 ? #""-Infinity""# : #""Infinity""#)
        } else {
            try? write(number)
        }
    }

    /// Writes `{"dtype":D,"shape":[..],"data":B64}`.
    package mutating func write(_ tensor: Tensor) {
        raw(#"{"dtype":""#)
        bytes.append(contentsOf: tensor.dtype.rawValue.utf8)
        raw(#"","shape":["#)
        for (axis, extent) in tensor.shape.dims.enumerated() {
            if axis > 0 { bytes.append(UInt8(ascii: ",")) }
            write(extent)
        }
        raw(#"],"data":""#)
        Base64.append(tensor.littleEndianBytes, to: &bytes)
        raw(#""}"#)
    }
}

/// Reads the fields of one message, naming the message and the field in every error.
struct MessageReader {
    var subject: String
    var id: Int?

    func error(_ field: String?, _ problem: String) -> ProtocolError {
        ProtocolError(subject: subject, field: field, problem: problem, id: id)
    }

    /// Parses a line into a JSON object.
    func object(from line: some Collection<UInt8>) throws(ProtocolError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line, byteLimit: .max)
        } catch {
            throw self.error(nil, error.description)
        }
        guard case .object = value else {
            throw self.error(nil, "expected a JSON object, not \(value.kindDescription)")
        }
        return value
    }

    func required(_ object: JSONValue, _ key: String, path: String) throws(ProtocolError) -> JSONValue {
        guard let value = object[key] else { throw error(path, "missing") }
        return value
    }

    func integer(_ value: JSONValue, path: String) throws(ProtocolError) -> Int {
        guard let integer = value.integerValue else {
            throw error(path, "expected an integer, not \(value.kindDescription)")
        }
        return integer
    }

    func bool(_ value: JSONValue, path: String) throws(ProtocolError) -> Bool {
        guard let flag = value.boolValue else { throw error(path, "expected a Boolean, not \(value.kindDescription)") }
        return flag
    }

    func string(_ value: JSONValue, path: String) throws(ProtocolError) -> String {
        guard let string = value.stringValue else {
            throw error(path, "expected a string, not \(value.kindDescription)")
        }
        return string
    }

    func number(_ value: JSONValue, path: String) throws(ProtocolError) -> Double {
        guard let number = value.doubleValue else {
            throw error(path, "expected a number, not \(value.kindDescription)")
        }
        return number
    }

    /// A number, or (protocol 2) one of the strings "NaN", "Infinity" and "-Infinity" in its place.
    func extendedNumber(_ value: JSONValue, path: String) throws(ProtocolError) -> Double {
        if let text = value.stringValue {
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: throw error(path, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", not \(quoted(text))")
            }
        }
        return try number(value, path: path)
    }

    /// Decodes a tensor object: a known dtype, a shape of non-negative integers whose element count fits,
    /// and base64 data of exactly the element count times the dtype's width.
    func tensor(_ value: JSONValue, path: String) throws(ProtocolError) -> Tensor {
        guard case .object = value else { throw error(path, "expected a tensor object, not \(value.kindDescription)") }
        let dtypeName = try string(required(value, "dtype", path: path + ".dtype"), path: path + ".dtype")
        guard let dtype = DType(rawValue: dtypeName) else {
            throw error(path + ".dtype", "unknown dtype \(quoted(dtypeName))")
        }
        let shapeValue = try required(value, "shape", path: path + ".shape")
        guard let extents = shapeValue.arrayValue else {
            throw error(path + ".shape", "expected an array, not \(shapeValue.kindDescription)")
        }
        var dims: [Int] = []
        dims.reserveCapacity(extents.count)
        for (axis, extent) in extents.enumerated() {
            guard let integer = extent.integerValue, integer >= 0 else {
                throw error(path + ".shape", "extent \(axis) is not a non-negative integer")
            }
            dims.append(integer)
        }
        let shape = Shape(dims)
        let count: Int
        do { count = try shape.elementCount() } catch { throw self.error(path + ".shape", error.description) }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !overflow else { throw error(path + ".shape", "shape \(shape) has too many \(dtype) bytes to address") }
        let data = try string(required(value, "data", path: path + ".data"), path: path + ".data")
        let bytes: [UInt8]
        do {
            bytes = try Base64.decode(data.utf8, expectedByteCount: byteCount)
        } catch {
            throw self.error(path + ".data", error.description + " (a \(dtype) tensor of shape \(shape))")
        }
        do {
            return try Tensor(dtype: dtype, shape: shape, littleEndianBytes: bytes)
        } catch {
            throw self.error(path, error.description)
        }
    }
}

/// A string in double quotes, cut to 80 characters, for messages.
func quoted(_ text: String) -> String {
    let shown = text.count > 80 ? text.prefix(80) + "…" : Substring(text)
    var escaped = ""
    for character in shown.unicodeScalars {
        switch character {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case _ where character.value < 0x20: escaped += "\\u{\(String(character.value, radix: 16))}"
        default: escaped.unicodeScalars.append(character)
        }
    }
    return "\"" + escaped + "\""
}
