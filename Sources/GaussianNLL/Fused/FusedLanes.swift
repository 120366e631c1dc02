#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A dtype the fused kernel computes in: `Float` for float32, `Double` for float64, with what the
/// pass needs of it beyond ``FusedKernelScalar``.
///
/// Every operation the kernel does is one IEEE operation in this type, which is what
/// ``DType/add(_:_:)`` and its siblings do for float32 and float64, so the two agree bit for bit.
protocol FusedScalar: FusedKernelScalar, SIMDScalar, Codable, FusedLanes where Scalar == Self {
    /// Eight or four lanes of the type, whichever fills two SSE registers.
    associatedtype Vector: FusedLanes where Vector.Scalar == Self
    /// The dtype the type stands for.
    static var dtype: DType { get }
    /// The C library's logarithm, as ``DType/logarithm(_:)`` calls it.
    static func libraryLog(_ x: Self) -> Self
    /// The value of a tensor element stored as a `Double`.
    init(storedValue: Double)
}

/// One lane or several: the operations of the element-wise loss and its gradients.
///
/// The kernel is written once over this protocol and specialised for the scalar type (the tail of a
/// segment) and its vector type (the body), so that the two cannot drift apart.
protocol FusedLanes {
    associatedtype Scalar: FusedScalar
    static var laneCount: Int { get }
    init(repeating value: Scalar)
    static func load(_ pointer: UnsafePointer<Scalar>) -> Self
    func store(to pointer: UnsafeMutablePointer<Scalar>)
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    static func / (lhs: Self, rhs: Self) -> Self
    /// The sign flipped, as `-x` does for one float (SIMD's prefix `-` computes `0 - x`, which
    /// keeps the sign of a zero or a NaN).
    var negated: Self { get }
    /// `self < floor ? floor : self` per lane; NaN stays NaN.
    func raised(to floor: Scalar) -> Self
    /// The C library's logarithm (`logf`, `log`) of each lane, as ``DType/logarithm(_:)`` calls it.
    ///
    /// One call per lane: Swift has no vector `logf`, and a vector replica of glibc's algorithm in
    /// SSE2 double arithmetic measured no faster than the library's scalar `logf` on this machine.
    var logarithm: Self { get }
}

extension Float: FusedScalar {
    typealias Vector = SIMD8<Float>
    static var dtype: DType { .float32 }
    @inline(__always) static func libraryLog(_ x: Float) -> Float { logf(x) }
    @inline(__always) init(storedValue: Double) { self.init(storedValue) }
}

extension Double: FusedScalar {
    typealias Vector = SIMD4<Double>
    static var dtype: DType { .float64 }
    @inline(__always) static func libraryLog(_ x: Double) -> Double { log(x) }
    @inline(__always) init(storedValue: Double) { self = storedValue }
}

extension Float: FusedLanes {
    typealias Scalar = Float
    static var laneCount: Int { 1 }
    @inline(__always) init(repeating value: Float) { self = value }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Float { pointer.pointee }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) { pointer.pointee = self }
    @inline(__always) var negated: Float { -self }
    @inline(__always) func raised(to floor: Float) -> Float { self < floor ? floor : self }
    @inline(__always) var logarithm: Float { logf(self) }
}

extension Double: FusedLanes {
    typealias Scalar = Double
    static var laneCount: Int { 1 }
    @inline(__always) init(repeating value: Double) { self = value }
    @inline(__always) static func load(_ pointer: UnsafePointer<Double>) -> Double { pointer.pointee }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Double>) { pointer.pointee = self }
    @inline(__always) var negated: Double { -self }
    @inline(__always) func raised(to floor: Double) -> Double { self < floor ? floor : self }
    @inline(__always) var logarithm: Double { log(self) }
}

extension SIMD8: FusedLanes where Scalar == Float {
    static var laneCount: Int { 8 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Float>.self)
    }
    @inline(__always) var negated: SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(self, to: SIMD8<UInt32>.self) ^ 0x8000_0000, to: SIMD8<Float>.self)
    }
    @inline(__always) func raised(to floor: Float) -> SIMD8<Float> {
        replacing(with: floor, where: self .< floor)
    }
    @inline(__always) var logarithm: SIMD8<Float> {
        var result = SIMD8<Float>()
        for lane in 0..<8 { result[lane] = logf(self[lane]) }
        return result
    }
}

extension SIMD4: FusedLanes where Scalar == Double {
    static var laneCount: Int { 4 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Double>.self)
    }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD4<Double>.self)
    }
    @inline(__always) var negated: SIMD4<Double> {
        unsafeBitCast(unsafeBitCast(self, to: SIMD4<UInt64>.self) ^ 0x8000_0000_0000_0000, to: SIMD4<Double>.self)
    }
    @inline(__always) func raised(to floor: Double) -> SIMD4<Double> {
        replacing(with: floor, where: self .< floor)
    }
    @inline(__always) var logarithm: SIMD4<Double> {
        SIMD4(log(self[0]), log(self[1]), log(self[2]), log(self[3]))
    }
}
