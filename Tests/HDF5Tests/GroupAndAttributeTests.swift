import HDF5
import Testing

@Suite("Groups, links and attributes")
struct GroupAndAttributeTests {
    let file: HDF5File

    init() throws {
        file = try HDF5File(path: Fixture.types)
    }

    @Test func fileProperties() {
        #expect(file.path == Fixture.types)
        #expect(file.limits == .default)
        #expect(file.limits.maximumReadBytes == 1 << 30)
        #expect(file.root.path == "/")
        #expect(file.root.filePath == Fixture.types)
    }

    @Test func memberNamesAreSortedByBytes() throws {
        #expect(try file.root.memberNames() == ["cases", "data"])
        // Created in the order b, a, C, a_2.
        #expect(try file.root.group("cases").memberNames() == ["C", "a", "a_2", "b"])
        let data = try file.root.group("data").memberNames()
        #expect(data.count == 26)
        #expect(data == data.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(data.contains("dangling") && data.contains("external") && data.contains("soft"))
    }

    @Test func pathsResolveRelativeAndAbsolute() throws {
        let cases = try file.root.group("cases")
        #expect(try cases.group("a").path == "/cases/a")
        #expect(try file.root.group("cases/a").path == "/cases/a")
        #expect(try cases.group("/data").path == "/data")
        #expect(try file.root.group("//cases//a/").path == "/cases/a")
        #expect(try file.root.dataset("data/float64").path == "/data/float64")
        #expect(try file.root.group("/").path == "/")
    }

    @Test func memberKinds() throws {
        let data = try file.root.group("data")
        #expect(try file.root.memberKind("cases") == .group)
        #expect(try data.memberKind("float32") == .dataset)
        #expect(try data.memberKind("soft") == .dataset)
        #expect(try data.memberKind("missing") == nil)
        #expect(try file.root.memberKind("missing/deeper") == nil)
        expectHDF5Error([.libraryFailure], file: Fixture.types, object: "/data/dangling") {
            _ = try data.memberKind("dangling")
        }
    }

    @Test func externalLinksAreNotFollowed() throws {
        let data = try file.root.group("data")
        expectHDF5Error([.libraryFailure], file: Fixture.types, object: "/data/external") {
            _ = try data.memberKind("external")
        }
        expectHDF5Error([.libraryFailure], file: Fixture.types, object: "/data/external") {
            _ = try data.dataset("external")
        }
    }

    @Test func wrongObjectKindsAndMissingMembers() throws {
        expectHDF5Error([.wrongObjectKind], file: Fixture.types, object: "/data/float32") {
            _ = try file.root.group("data/float32")
        }
        expectHDF5Error([.wrongObjectKind], file: Fixture.types, object: "/cases") {
            _ = try file.root.dataset("cases")
        }
        expectHDF5Error([.notFound], file: Fixture.types, object: "/cases/missing") {
            _ = try file.root.group("cases/missing")
        }
        expectHDF5Error([.notFound], file: Fixture.types, object: "/data/missing") {
            _ = try file.root.dataset("data/missing")
        }
        expectHDF5Error([.notFound, .libraryFailure], file: Fixture.types, object: "/data/dangling") {
            _ = try file.root.dataset("data/dangling")
        }
        expectHDF5Error([.invalidArgument], file: Fixture.types, object: "/") {
            _ = try file.root.group("")
        }
        expectHDF5Error([.invalidArgument], file: Fixture.types, object: "/") {
            _ = try file.root.dataset("a\u{0}b")
        }
    }

    @Test func rootAttributeNames() throws {
        #expect(
            try file.root.attributes.names() == [
                "empty_string", "eps", "fixed", "fixed_padded", "float16_attr", "float32_attr", "floats",
                "int32_attr", "int_matrix", "ints", "profile", "schema_version", "strings", "uint16_attr",
                "uint64_attr", "unicode",
            ])
        #expect(try file.root.group("cases/a").attributes.names() == ["category", "full"])
        #expect(try file.root.group("cases/b").attributes.names() == [])
        #expect(try file.root.dataset("data/float16").attributes.names() == ["dtype"])
    }

    @Test func attributeValues() throws {
        let attributes = file.root.attributes
        let expected: [(String, HDF5Value)] = [
            ("schema_version", .int(1)),
            ("profile", .string("torch-test")),
            ("unicode", .string("µ-ß ✓ 🙂")),
            ("empty_string", .string("")),
            ("eps", .float(1e-6)),
            ("float32_attr", .float(0.25)),
            ("float16_attr", .float(-1.5)),
            ("int32_attr", .int(-7)),
            ("uint16_attr", .int(65535)),
            ("ints", .ints([1, -2, 3])),
            ("int_matrix", .ints([0, 1, 2, 3, 4, 5])),
            ("floats", .floats([0.5, -1.0])),
            ("strings", .strings(["x", "yz"])),
            ("fixed", .string("fixed")),
            ("fixed_padded", .string("ab")),
        ]
        for (name, value) in expected {
            #expect(try attributes.value(name) == value, "\(name)")
        }
        #expect(try attributes.array("int_matrix") == HDF5Array(shape: [2, 3], storage: .int64([0, 1, 2, 3, 4, 5])))
        #expect(try attributes.array("uint64_attr") == HDF5Array(shape: [], storage: .uint64([.max])))
        let cases = try file.root.group("cases/a").attributes
        #expect(try cases.string("category") == "var_forms")
        #expect(try cases.int64("full") == 0)
    }

    @Test func typedAttributeAccessors() throws {
        let attributes = file.root.attributes
        #expect(try attributes.string("profile") == "torch-test")
        #expect(try attributes.int64("schema_version") == 1)
        #expect(try attributes.double("eps") == 1e-6)
        #expect(try attributes.contains("eps"))
        #expect(try !attributes.contains("var_scalar"))
    }

    @Test func attributeErrorsNameTheAttribute() throws {
        let attributes = file.root.attributes
        expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/", attribute: "profile") {
            _ = try attributes.double("profile")
        }
        expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/", attribute: "eps") {
            _ = try attributes.int64("eps")
        }
        expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/", attribute: "schema_version") {
            _ = try attributes.string("schema_version")
        }
        expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/", attribute: "ints") {
            _ = try attributes.int64("ints")
        }
        expectHDF5Error([.notFound], file: Fixture.types, object: "/", attribute: "missing") {
            _ = try attributes.value("missing")
        }
        expectHDF5Error([.unsupported], file: Fixture.types, object: "/", attribute: "uint64_attr") {
            _ = try attributes.value("uint64_attr")
        }
        expectHDF5Error([.invalidArgument], file: Fixture.types, object: "/") {
            _ = try attributes.value("")
        }
        let error = expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/cases/a", attribute: "full") {
            _ = try file.root.group("cases/a").attributes.string("full")
        }
        #expect(
            error?.description == "\(Fixture.types): /cases/a: attribute \"full\": expected a string, found an integer")
    }

    @Test func wrongExpectedElementType() throws {
        let float64 = try file.root.dataset("data/float64")
        let error = expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/data/float64") {
            _ = try float64.readStrings()
        }
        #expect(error?.description == "\(Fixture.types): /data/float64: expected string elements, found 64-bit float")
        expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/data/float64") {
            _ = try float64.read(as: .float32)
        }
        expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/data/strings") {
            _ = try file.root.dataset("data/strings").read(as: .float64)
        }
        expectHDF5Error([.typeMismatch], file: Fixture.types, object: "/data/bfloat16") {
            _ = try file.root.dataset("data/bfloat16").read(as: .float16Bits)
        }
    }

    @Test func memberCountLimit() throws {
        let limited = try HDF5File(path: Fixture.types, limits: HDF5Limits(maximumMemberCount: 3))
        #expect(try limited.root.memberNames() == ["cases", "data"])
        expectHDF5Error([.limitExceeded], file: Fixture.types, object: "/cases") {
            _ = try limited.root.group("cases").memberNames()
        }
        expectHDF5Error([.limitExceeded], file: Fixture.types, object: "/") {
            _ = try limited.root.attributes.names()
        }
    }

    @Test func nameLengthLimit() throws {
        // "cases" and "data" are the root's links: a limit of 5 bytes refuses the first, with its position.
        let limited = try HDF5File(path: Fixture.types, limits: HDF5Limits(maximumReadBytes: 5))
        let error = expectHDF5Error([.limitExceeded], file: Fixture.types, object: "/") {
            _ = try limited.root.memberNames()
        }
        let description = error?.description ?? ""
        #expect(description.contains("the name of link 0 reaches the read limit of 5 bytes"), "\(description)")
        let roomy = try HDF5File(path: Fixture.types, limits: HDF5Limits(maximumReadBytes: 6))
        #expect(try roomy.root.memberNames() == ["cases", "data"])
    }
}
