internal import GaussianNLL

/// How wild the values of input and target may be.
enum ValueStyle {
    /// Small integers and eighths: values every dtype holds exactly.
    case exact
    /// Small integers, eighths and uniform values of moderate size.
    case plain
    /// Plain values, and log-uniform values across the dtype's whole exponent range.
    case wide
    /// Wide values, and NaN, ±inf, ±0, subnormals and the largest finite values.
    case special
}

/// How var's values are drawn; var is never negative here (the error properties add negative entries).
enum VarianceStyle {
    /// Positive small integers and eighths: values every dtype holds exactly.
    case exact
    /// Moderate positive values, well above any eps the properties use.
    case moderate
    /// Values around eps: at it, its neighbours, half and twice it, below it, zero and subnormals.
    case clamp
    /// Moderate values with some around eps and some across the whole exponent range.
    case wide
    /// Wide values, and NaN, +inf, −0.0 and the largest finite value.
    case special
}

extension ChoiceSource {
    /// A value for input or target, in a dtype's range (the tensor rounds it to the dtype).
    mutating func value(_ dtype: DType, _ style: ValueStyle) -> Double {
        let table: WeightTable
        switch style {
        case .exact: table = ValueTables.exact
        case .plain: table = ValueTables.plain
        case .wide: table = ValueTables.wide
        case .special: table = ValueTables.special
        }
        switch pick(table) {
        case 0:
            return signed(Double(int(in: 0...4)))
        case 1:
            return signed(Double(int(in: 0...32)) / 8)
        case 2:
            let scale = ValueTables.scales[index(ValueTables.scales.count)]
            return scale * (2 * unitInterval() - 1)
        case 3:
            return signed(logUniform(dtype))
        default:
            return special(dtype)
        }
    }

    /// A value for var, never negative.
    mutating func variance(_ dtype: DType, eps: Double, _ style: VarianceStyle) -> Double {
        let table: WeightTable
        switch style {
        case .exact: table = ValueTables.exactVariance
        case .moderate: table = ValueTables.moderateVariance
        case .clamp: table = ValueTables.clampVariance
        case .wide: table = ValueTables.wideVariance
        case .special: table = ValueTables.specialVariance
        }
        switch pick(table) {
        case 0:
            return Double(int(in: 1...4))
        case 1:
            return Double(int(in: 1...32)) / 8
        case 2:
            // Log-uniform in [2^-10, 2^10).
            return Double(sign: .plus, exponent: int(in: -10...9), significand: 1 + unitInterval())
        case 3:
            return nearEps(dtype, eps: eps)
        case 4:
            return element([0, dtype.leastNonzeroMagnitude, dtype.leastNormalMagnitude, subnormal(dtype)])
        case 5:
            return logUniform(dtype)
        default:
            return element([Double.nan, .infinity, -0.0, dtype.greatestFiniteMagnitude])
        }
    }

    /// eps as var's dtype holds it, its neighbours, half and twice it, or a random value below it.
    mutating func nearEps(_ dtype: DType, eps: Double) -> Double {
        let floor = dtype.round(eps)
        guard floor > 0, floor.isFinite else { return element([0, dtype.leastNonzeroMagnitude, 1e-3]) }
        switch int(in: 0...5) {
        case 0: return floor
        case 1: return dtype.nextUp(floor)
        case 2: return dtype.nextDown(floor)
        case 3: return floor / 2
        case 4: return floor * 2
        default: return floor * unitInterval()
        }
    }

    /// A magnitude log-uniform over the dtype's whole range, from the smallest subnormal to the largest finite.
    mutating func logUniform(_ dtype: DType) -> Double {
        let low = dtype.leastNonzeroMagnitude.exponent
        let high = dtype.greatestFiniteMagnitude.exponent
        let value = Double(sign: .plus, exponent: int(in: Int(low)...Int(high)), significand: 1 + unitInterval())
        return Swift.min(dtype.round(value), dtype.greatestFiniteMagnitude)
    }

    /// A subnormal of the dtype.
    mutating func subnormal(_ dtype: DType) -> Double {
        let steps = Int(dtype.leastNormalMagnitude / dtype.leastNonzeroMagnitude)
        return Double(int(in: 1...Swift.max(steps - 1, 1))) * dtype.leastNonzeroMagnitude
    }

    /// NaN, an infinity, a signed zero, a subnormal, or an extreme finite value.
    mutating func special(_ dtype: DType) -> Double {
        switch int(in: 0...9) {
        case 0: return -0.0
        case 1: return .nan
        case 2: return .infinity
        case 3: return -.infinity
        case 4: return dtype.leastNonzeroMagnitude
        case 5: return -dtype.leastNormalMagnitude
        case 6: return dtype.greatestFiniteMagnitude
        case 7: return -dtype.greatestFiniteMagnitude
        case 8: return -subnormal(dtype)
        default: return -.nan
        }
    }

    /// The value, negated with probability 0.4.
    mutating func signed(_ value: Double) -> Double {
        chance(0.4) ? -value : value
    }

    /// `count` input or target values.
    mutating func values(_ count: Int, _ dtype: DType, _ style: ValueStyle) -> [Double] {
        (0..<count).map { _ in value(dtype, style) }
    }

    /// `count` var values.
    mutating func variances(_ count: Int, _ dtype: DType, eps: Double, _ style: VarianceStyle) -> [Double] {
        (0..<count).map { _ in variance(dtype, eps: eps, style) }
    }
}

extension DType {
    /// The next value of the dtype above `x` (`x` a value of the dtype).
    func nextUp(_ x: Double) -> Double {
        switch self {
        case .float64: return x.nextUp
        case .float32: return Double(Float(x).nextUp)
        case .float16: return Double(Float16(x).nextUp)
        case .bfloat16:
            if x.isNaN || x == .infinity { return x }
            if x == 0 { return leastNonzeroMagnitude }
            let bits = Float(x).bitPattern
            return Double(Float(bitPattern: x > 0 ? bits &+ 0x1_0000 : bits &- 0x1_0000))
        case .int32, .int64, .bool:
            return x >= greatestFiniteMagnitude ? x : x + 1
        }
    }

    /// The next value of the dtype below `x`.
    func nextDown(_ x: Double) -> Double {
        -nextUp(-x)
    }
}

/// The weights of the value generators' kinds, simplest kind first.
enum ValueTables {
    // Small integers, eighths, uniform, log-uniform, special.
    static let exact = WeightTable([1, 1, 0, 0, 0])
    static let plain = WeightTable([3, 3, 4, 0, 0])
    static let wide = WeightTable([3, 3, 3, 1.5, 0])
    static let special = WeightTable([3, 3, 3, 1.5, 1.2])
    // Integers, eighths, log-uniform in [2^-10, 2^10), near eps, tiny, whole range, special.
    static let exactVariance = WeightTable([1, 1, 0, 0, 0, 0, 0])
    static let moderateVariance = WeightTable([3, 3, 4, 0, 0, 0, 0])
    static let clampVariance = WeightTable([2, 2, 2, 4, 3, 0, 0])
    static let wideVariance = WeightTable([3, 3, 3, 1.5, 1, 1, 0])
    static let specialVariance = WeightTable([3, 3, 3, 1.5, 1, 1, 1.5])
    static let scales: [Double] = [1, 0.1, 10, 100, 0.01]
}
