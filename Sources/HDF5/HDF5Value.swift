/// The value of an attribute.
///
/// A scalar attribute gives a single value; an attribute with a simple dataspace of any rank, even one
/// element, gives an array of its elements in row-major order. Floats of every width widen to `Double`,
/// integers to `Int64`.
public enum HDF5Value: Hashable, Sendable, CustomStringConvertible {
    /// A scalar integer of any width, widened.
    case int(Int64)
    /// A scalar float of any width, widened.
    case float(Double)
    /// A scalar string, variable-length or fixed-length.
    case string(String)
    /// The integers of a non-scalar attribute, in row-major order.
    case ints([Int64])
    /// The floats of a non-scalar attribute, in row-major order.
    case floats([Double])
    /// The strings of a non-scalar attribute, in row-major order.
    case strings([String])

    public var description: String {
        switch self {
        case .int(let value): "\(value)"
        case .float(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .ints(let values): "\(values)"
        case .floats(let values): "\(values)"
        case .strings(let values): "\(values)"
        }
    }

    /// A short description of the case, for error messages: "an integer", "an array of strings".
    var kindDescription: String {
        switch self {
        case .int: "an integer"
        case .float: "a float"
        case .string: "a string"
        case .ints: "an array of integers"
        case .floats: "an array of floats"
        case .strings: "an array of strings"
        }
    }
}

/// Returns the value of an IEEE binary16 bit pattern, exactly.
func doubleFromFloat16Bits(_ bits: UInt16) -> Double {
    let sign: Double = bits & 0x8000 == 0 ? 1 : -1
    let exponent = Int((bits >> 10) & 0x1f)
    let fraction = Double(bits & 0x3ff)
    switch exponent {
    case 0:
        return sign * fraction * 0x1p-24
    case 0x1f:
        return fraction == 0 ? sign * .infinity : .nan
    default:
        return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}
