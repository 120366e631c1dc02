import HDF5
import Testing

/// Reads every element type and layout in `Fixtures/types.h5` and compares with the values that
/// `Fixtures/make_fixtures.py` wrote, restated here by hand.
@Suite("Values in types.h5")
struct FixtureValuesTests {
    let file: HDF5File
    let data: HDF5Group

    init() throws {
        file = try HDF5File(path: Fixture.types)
        data = try file.root.group("data")
    }

    /// Reads dataset `name` and checks its shape, element type and elements.
    private func check(
        _ name: String, shape: [Int], elementType: HDF5ElementType, storage: HDF5Array.Storage,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let dataset = try data.dataset(name)
        #expect(dataset.path == "/data/\(name)", sourceLocation: sourceLocation)
        #expect(dataset.filePath == Fixture.types, sourceLocation: sourceLocation)
        #expect(dataset.shape == shape, sourceLocation: sourceLocation)
        #expect(dataset.count == shape.reduce(1, *), sourceLocation: sourceLocation)
        #expect(dataset.elementType == elementType, sourceLocation: sourceLocation)
        let array = try dataset.read()
        #expect(array.shape == shape, sourceLocation: sourceLocation)
        #expect(array.storage == storage, sourceLocation: sourceLocation)
        #expect(try dataset.read(as: storage.kind) == array, sourceLocation: sourceLocation)
    }

    @Test func float32WithSpecialValues() throws {
        let dataset = try data.dataset("float32")
        #expect(dataset.shape == [2, 3])
        #expect(dataset.elementType == .float(bits: 32))
        #expect(try dataset.attributes.string("dtype") == "float32")
        guard case .float32(let values) = try dataset.read().storage else {
            Issue.record("float32 did not read as float32")
            return
        }
        let expected: [Float] = [1.5, -2.25, .infinity, -0.0, .nan, Float.leastNonzeroMagnitude]
        #expect(values.count == expected.count)
        for (value, expected) in zip(values, expected) {
            if expected.isNaN {
                #expect(value.isNaN)
            } else {
                #expect(value.bitPattern == expected.bitPattern, "\(value) != \(expected)")
            }
        }
    }

    @Test func float64() throws {
        try check(
            "float64", shape: [3], elementType: .float(bits: 64),
            storage: .float64([0.1, -1e300, Double.leastNonzeroMagnitude]))
        try check(
            "float64_scalar", shape: [], elementType: .float(bits: 64), storage: .float64([3.141592653589793]))
        #expect(try data.dataset("float64_scalar").attributes.string("dtype") == "float64")
    }

    @Test func zeroSizeDataset() throws {
        try check("float32_empty", shape: [0, 3], elementType: .float(bits: 32), storage: .float32([]))
    }

    @Test func float16KeepsItsBits() throws {
        let bits: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x7C00, 0x0001, 0x7E00]
        try check("float16", shape: [7], elementType: .float(bits: 16), storage: .float16Bits(bits))
        try check("float16_be", shape: [7], elementType: .float(bits: 16), storage: .float16Bits(bits))
        #expect(try data.dataset("float16").attributes.string("dtype") == "float16")
    }

    @Test func bigEndianFloat32() throws {
        try check("float32_be", shape: [2], elementType: .float(bits: 32), storage: .float32([1.0, -3.5]))
    }

    @Test func bfloat16StoredAsUInt16() throws {
        try check(
            "bfloat16", shape: [4], elementType: .unsignedInteger(bits: 16),
            storage: .uint16([0x3F80, 0xC040, 0x7F80, 0x0000]))
        #expect(try data.dataset("bfloat16").attributes.string("dtype") == "bfloat16")
    }

    @Test func integersOfEveryWidth() throws {
        try check("int8", shape: [3], elementType: .signedInteger(bits: 8), storage: .int64([-128, 0, 127]))
        try check("int16", shape: [2], elementType: .signedInteger(bits: 16), storage: .int64([-32768, 32767]))
        try check(
            "int32", shape: [2], elementType: .signedInteger(bits: 32),
            storage: .int64([-2_147_483_648, 2_147_483_647]))
        try check(
            "int64", shape: [3], elementType: .signedInteger(bits: 64), storage: .int64([.min, .max, 0]))
        try check("uint8", shape: [2], elementType: .unsignedInteger(bits: 8), storage: .int64([0, 255]))
        try check("uint16", shape: [2], elementType: .unsignedInteger(bits: 16), storage: .uint16([0, 65535]))
        try check(
            "uint32", shape: [2], elementType: .unsignedInteger(bits: 32), storage: .int64([0, 4_294_967_295]))
        try check("uint64", shape: [2], elementType: .unsignedInteger(bits: 64), storage: .uint64([0, .max]))
    }

    @Test func chunkedShuffledGzippedDatasets() throws {
        try check(
            "chunked", shape: [64, 32], elementType: .float(bits: 64),
            storage: .float64((0..<(64 * 32)).map { Double($0) * 0.5 - 100 }))
        try check(
            "chunked_float16", shape: [1024], elementType: .float(bits: 16),
            storage: .float16Bits((0..<1024).map { 0x3C00 + UInt16($0) }))
    }

    @Test func strings() throws {
        try check(
            "strings", shape: [3], elementType: .variableLengthString, storage: .strings(["alpha", "βeta", ""]))
        try check("string_scalar", shape: [], elementType: .variableLengthString, storage: .strings(["hello"]))
        try check(
            "fixed_strings", shape: [3], elementType: .fixedLengthString(bytes: 4),
            storage: .strings(["ab", "cde", ""]))
        #expect(try data.dataset("strings").readStrings() == ["alpha", "βeta", ""])
    }

    @Test func softLinkReadsItsTarget() throws {
        let dataset = try data.dataset("soft")
        #expect(dataset.path == "/data/soft")
        #expect(try dataset.read() == data.dataset("float64").read())
    }

    @Test func unsupportedTypesAreDescribedButNotRead() throws {
        for (name, description) in [("compound", "compound"), ("bool", "enum")] {
            let dataset = try data.dataset(name)
            #expect(dataset.elementType == .unsupported(description))
            #expect(dataset.elementType.arrayKind == nil)
            expectHDF5Error([.unsupported], file: Fixture.types, object: "/data/\(name)") {
                _ = try dataset.read()
            }
        }
    }

    @Test func everyObjectReads() throws {
        // The root, /cases and its four groups, /data and the 24 datasets that resolve (soft included).
        #expect(try readEverything(in: file.root) == 31)
    }
}
