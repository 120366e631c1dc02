import CandidateProtocol
import GaussianNLL
import Testing

@Suite("Base64: standard alphabet, padding required, canonical only")
struct Base64Tests {
    @Test(
        "RFC 4648 test vectors",
        arguments: [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ])
    func vectors(plain: String, encoded: String) throws {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
        #expect(Base64.encodedLength(of: plain.utf8.count) == encoded.utf8.count)
    }

    @Test("Every byte value and every length up to 200 round-trips")
    func roundTrip() throws {
        let all = (0...255).map(UInt8.init)
        #expect(Base64.encode(all).hasSuffix("+/w=="))
        #expect(try Base64.decode(Base64.encode(all).utf8) == all)
        var generator = SeededRandomNumberGenerator(seed: 64)
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base64.encode(bytes)
            #expect(text.utf8.count == Base64.encodedLength(of: length))
            #expect(try Base64.decode(text.utf8, expectedByteCount: length) == bytes)
        }
    }

    @Test("The largest and smallest 6-bit values map to '/' and 'A'")
    func alphabetEdges() throws {
        #expect(Base64.encode([0xFF, 0xFF, 0xFF]) == "////")
        #expect(Base64.encode([0xFB, 0xEF, 0xBE]) == "++++")
        #expect(Base64.encode([0, 0, 0]) == "AAAA")
    }

    @Test(
        "Non-canonical or malformed text is an error at the offending offset",
        arguments: [
            ("Zg=", 3, "multiple of 4"),
            ("Zg", 2, "multiple of 4"),
            ("Zm9vY", 5, "multiple of 4"),
            ("Zm9v\n", 5, "multiple of 4"),
            ("Zm9 ", 3, "byte 0x20"),
            ("Zm9v Zm9", 4, "byte 0x20"),
            ("Zm9-", 3, "'-'"),
            ("Zm9_", 3, "'_'"),
            ("Z===", 1, "padding"),
            ("====", 0, "padding"),
            ("Zm=v", 2, "padding"),
            ("Zg==Zg==", 2, "padding"),
            ("Zh==", 1, "unused bits"),
            ("Zm9=", 2, "unused bits"),
            ("Z\u{E9}v", 1, "byte 0xC3"),
        ])
    func malformed(text: String, offset: Int, fragment: String) {
        do {
            let decoded = try Base64.decode(text.utf8)
            Issue.record("\(text) decoded to \(decoded)")
        } catch {
            #expect(error.offset == offset, "\(text): \(error)")
            #expect(error.description.contains(fragment), "\(text): \(error)")
            #expect(error.description.hasPrefix("invalid base64 at offset \(offset)"))
        }
    }

    @Test("A wrong length for the expected byte count is found before decoding")
    func expectedByteCount() {
        #expect(throws: Base64Error.self) { try Base64.decode("Zm9v".utf8, expectedByteCount: 2) }
        #expect(throws: Base64Error.self) { try Base64.decode("Zm8=".utf8, expectedByteCount: 3) }
        #expect(throws: Base64Error.self) { try Base64.decode("".utf8, expectedByteCount: 1) }
        #expect((try? Base64.decode("".utf8, expectedByteCount: 0)) == [])
    }
}
