#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

// The oracle's float64 working type, chosen once: Float80 where the platform has it (x86, as swift-numerics
// decides, unless the build defines GNLL_PORTABLE_ORACLE), ExtendedReal everywhere else.
#if GNLL_PORTABLE_ORACLE || !(arch(i386) || arch(x86_64)) || os(Windows) || os(Android)
/// The type of the oracle's exact values: ``ExtendedReal`` on this platform (no `Float80`, or a portable build).
public typealias ExactReal = ExtendedReal

extension ExtendedReal: OracleReal {
    var exactReal: ExactReal { self }
}
#else
/// The type of the oracle's exact values: `Float80` on this platform.
public typealias ExactReal = Float80

extension Float80: OracleReal {
    static func logarithm(_ x: Float80) -> Float80 { logl(x) }
    var exactReal: ExactReal { self }
}
#endif

/// A real type the oracle computes in: `Double` for the 16- and 32-bit dtypes, ``ExactReal`` for float64.
protocol OracleReal: SignedNumeric, Comparable, Sendable {
    init(_ value: Double)
    init(_ value: Int)
    init(_ value: ExactReal)
    /// The value as an exact value of the oracle's answer.
    var exactReal: ExactReal { get }
    static func / (lhs: Self, rhs: Self) -> Self
    static var pi: Self { get }
    static var infinity: Self { get }
    static var nan: Self { get }
    var isNaN: Bool { get }
    var isInfinite: Bool { get }
    var isFinite: Bool { get }
    static func logarithm(_ x: Self) -> Self
}

extension Double: OracleReal {
    static func logarithm(_ x: Double) -> Double { log(x) }
    var exactReal: ExactReal { ExactReal(self) }
}
