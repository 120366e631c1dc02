import Foundation
import GaussianNLL
import HDF5
import Testing

/// Malformed and hostile files: each must give an ``HDF5Error`` that names the file and the object,
/// never a crash and never an unbounded allocation. The malformed variants are written at test time.
@Suite("Malformed and hostile files")
struct MalformedFileTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    @Test func emptyFile() throws {
        let path = try scratch.write([], to: "empty.h5")
        let error = expectHDF5Error([.notHDF5], file: path, object: nil) {
            _ = try HDF5File(path: path)
        }
        #expect(error?.description == "\(path): not an HDF5 file")
    }

    @Test func randomBytes() throws {
        var generator = SeededRandomNumberGenerator(seed: 42)
        for size in [1, 7, 8, 512, 4096, 65536] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let path = try scratch.write(bytes, to: "random-\(size).h5")
            expectHDF5Error([.notHDF5], file: path, object: nil) {
                _ = try HDF5File(path: path)
            }
        }
    }

    @Test func signatureFollowedByGarbage() throws {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var generator = SeededRandomNumberGenerator(seed: 7)
        for size in [0, 1, 40, 4096] {
            let bytes = signature + (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let path = try scratch.write(bytes, to: "signature-\(size).h5")
            expectHDF5Error([.cannotOpen], file: path, object: nil) {
                _ = try HDF5File(path: path)
            }
        }
    }

    @Test(arguments: ["types.h5", "hostile.h5"])
    func truncatedFiles(fixture: String) throws {
        let bytes = try Fixture.bytes(fixture)
        let cuts = Set([1, 8, 9, 48, 95, 96, 100, 512, 800, 2048, bytes.count / 3, bytes.count / 2, bytes.count - 1])
        for cut in cuts.sorted() where cut < bytes.count {
            let path = try scratch.write(Array(bytes.prefix(cut)), to: "truncated-\(cut)-\(fixture)")
            let error = expectHDF5Error([.notHDF5, .cannotOpen], file: path, object: nil) {
                let file = try HDF5File(path: path)
                try readEverything(in: file.root)
            }
            if cut >= 96, let error {
                // Past the superblock, libhdf5 compares the file's size with the one the superblock records.
                #expect(error.libraryMessage?.contains("truncated file") == true, "\(error)")
            }
        }
    }

    @Test func missingFileAndDirectory() throws {
        let missing = scratch.url.appendingPathComponent("missing.h5").path
        let error = expectHDF5Error([.cannotOpen], file: missing, object: nil) {
            _ = try HDF5File(path: missing)
        }
        #expect(error?.libraryMessage?.contains("No such file or directory") == true)
        expectHDF5Error([.cannotOpen], file: scratch.url.path, object: nil) {
            _ = try HDF5File(path: scratch.url.path)
        }
        expectHDF5Error([.invalidArgument], file: "", object: nil) {
            _ = try HDF5File(path: "")
        }
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeAllocating() throws {
        let file = try HDF5File(path: Fixture.hostile)
        let contiguous = try file.root.dataset("huge_contiguous")
        #expect(contiguous.shape == [123_456_789, 4, 4])
        expectHDF5Error([.limitExceeded], file: Fixture.hostile, object: "/huge_contiguous") {
            _ = try contiguous.read()
        }
        let chunked = try file.root.dataset("huge_chunked")
        #expect(chunked.shape == [1 << 20, 1 << 20, 1 << 20])
        let error = expectHDF5Error([.limitExceeded], file: Fixture.hostile, object: "/huge_chunked") {
            _ = try chunked.read()
        }
        #expect(
            error?.description
                == "\(Fixture.hostile): /huge_chunked: reading 2^60 elements of 4 bytes (2^62 bytes) "
                + "exceeds the read limit of 1073741824 bytes")
    }

    @Test func chunksLargerThanTheLimitAreRefused() throws {
        #expect(try HDF5File(path: Fixture.hostile).root.dataset("big_chunk").read().storage == .float32([7]))
        let limited = try HDF5File(path: Fixture.hostile, limits: HDF5Limits(maximumReadBytes: 1 << 20))
        expectHDF5Error([.limitExceeded], file: Fixture.hostile, object: "/big_chunk") {
            _ = try limited.root.dataset("big_chunk").read()
        }
        // The read limit applies to small reads too.
        let tiny = try HDF5File(path: Fixture.types, limits: HDF5Limits(maximumReadBytes: 16))
        expectHDF5Error([.limitExceeded], file: Fixture.types, object: "/data/float64") {
            _ = try tiny.root.dataset("data/float64").read()
        }
        #expect(try tiny.root.dataset("data/float64_scalar").read().count == 1)
    }

    /// Patches the 8-byte little-endian first dimension of `huge_contiguous`, 123456789, to `extent`.
    private func patchedHostile(firstExtent extent: UInt64) throws -> String {
        var bytes = try Fixture.bytes("hostile.h5")
        let original = withUnsafeBytes(of: UInt64(123_456_789).littleEndian, Array.init)
        let replacement = withUnsafeBytes(of: extent.littleEndian, Array.init)
        var patched = 0
        var index = 0
        while index + 8 <= bytes.count {
            if Array(bytes[index..<(index + 8)]) == original {
                bytes.replaceSubrange(index..<(index + 8), with: replacement)
                patched += 1
            }
            index += 1
        }
        #expect(patched >= 1, "the fixture no longer holds the extent 123456789")
        return try scratch.write(bytes, to: "patched-\(extent).h5")
    }

    @Test func absurdDimensions() throws {
        // 2^62 x 4 x 4 elements overflow Int.
        let overflowing = try patchedHostile(firstExtent: 1 << 62)
        let error = expectHDF5Error([.malformed], file: overflowing, object: "/huge_contiguous") {
            let file = try HDF5File(path: overflowing)
            _ = try file.root.dataset("huge_contiguous")
        }
        #expect(
            error?.description
                == "\(overflowing): /huge_contiguous: shape [2^62, 4, 4] holds more than Int.max elements")
        // 2^40 x 4 x 4 elements fit in Int, but not in memory.
        let large = try patchedHostile(firstExtent: 1 << 40)
        expectHDF5Error([.limitExceeded], file: large, object: "/huge_contiguous") {
            let file = try HDF5File(path: large)
            _ = try file.root.dataset("huge_contiguous").read()
        }
        // The largest extent HDF5 can record: libhdf5 itself refuses it.
        let maximal = try patchedHostile(firstExtent: .max)
        expectHDF5Error([.malformed, .libraryFailure], file: maximal, object: "/huge_contiguous") {
            let file = try HDF5File(path: maximal)
            _ = try file.root.dataset("huge_contiguous").read()
        }
    }

    @Test func corruptCompressedChunk() throws {
        let file = try HDF5File(path: Fixture.hostile)
        #expect(try file.root.dataset("chunked").read().storage == .float64((0..<4096).map(Double.init)))
        let offset = Int(try file.root.attributes.int64("chunk_offset"))
        let size = Int(try file.root.attributes.int64("chunk_size"))
        var bytes = try Fixture.bytes("hostile.h5")
        #expect(offset > 0 && size > 16 && offset + size <= bytes.count)
        for index in (offset + 4)..<(offset + size) {
            bytes[index] ^= 0x5A
        }
        let path = try scratch.write(bytes, to: "corrupt-chunk.h5")
        let corrupt = try HDF5File(path: path)
        let error = expectHDF5Error([.libraryFailure], file: path, object: "/chunked") {
            _ = try corrupt.root.dataset("chunked").read()
        }
        #expect(error?.libraryMessage?.isEmpty == false)
        // The rest of the file still reads.
        #expect(try corrupt.root.dataset("big_chunk").read().storage == .float32([7]))
    }
}
