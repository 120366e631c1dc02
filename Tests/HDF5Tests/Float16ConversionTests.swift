import Testing

@testable import HDF5

#if !(os(macOS) && arch(x86_64))
@Test("Float16 bits convert exactly to Double, for all 65536 patterns")
func float16BitsToDouble() {
    for bits in UInt16.min...UInt16.max {
        let expected = Double(Float16(bitPattern: bits))
        let actual = doubleFromFloat16Bits(bits)
        if expected.isNaN {
            #expect(actual.isNaN)
        } else {
            #expect(actual.bitPattern == expected.bitPattern, "bits 0x\(String(bits, radix: 16))")
        }
    }
}
#endif

@Test func extentsArePrintedCompactly() {
    #expect(describeExtent(0) == "0")
    #expect(describeExtent(123_456_789) == "123456789")
    #expect(describeExtent(1 << 19) == "524288")
    #expect(describeExtent(1 << 20) == "2^20")
    #expect(describeExtent(1 << 62) == "2^62")
    #expect(describeExtent(UInt64.max) == "18446744073709551615")
}
