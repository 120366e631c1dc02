internal import CHDF5

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// HDF5's limit on the rank of a dataspace.
let maximumRank = 32

/// An open dataset or attribute, whose elements can be read.
enum ElementSource {
    case dataset(hid_t)
    case attribute(hid_t)

    /// A copy of the dataspace; the caller closes it.
    func copySpace() -> hid_t {
        switch self {
        case .dataset(let id): H5Dget_space(id)
        case .attribute(let id): H5Aget_space(id)
        }
    }

    /// A copy of the element type; the caller closes it.
    func copyType() -> hid_t {
        switch self {
        case .dataset(let id): H5Dget_type(id)
        case .attribute(let id): H5Aget_type(id)
        }
    }

    /// Reads every element, converted to `memoryType`, into `buffer`.
    func read(memoryType: hid_t, into buffer: UnsafeMutableRawPointer) -> herr_t {
        switch self {
        case .dataset(let id): H5Dread(id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer)
        case .attribute(let id): H5Aread(id, memoryType, buffer)
        }
    }
}

/// Writes an extent compactly: powers of two from 2^20 up as `2^k`, others in decimal.
func describeExtent(_ extent: UInt64) -> String {
    if extent >= 1 << 20, extent.nonzeroBitCount == 1 {
        return "2^\(extent.trailingZeroBitCount)"
    }
    return String(extent)
}

// All of these run under the library lock.
extension ObjectLocation {
    /// The shape and element type of a dataset or attribute, validated.
    func inspect(_ source: ElementSource) throws(HDF5Error) -> (shape: [Int], elementType: HDF5ElementType) {
        let space = source.copySpace()
        guard space >= 0 else {
            throw libraryError(.malformed, "has an unreadable dataspace")
        }
        defer { _ = H5Sclose(space) }
        let type = source.copyType()
        guard type >= 0 else {
            throw libraryError(.malformed, "has an unreadable element type")
        }
        defer { _ = H5Tclose(type) }
        return (try shape(ofSpace: space), try elementType(of: type))
    }

    /// The extents of a dataspace: `[]` for a scalar one.
    ///
    /// Fails on a null dataspace, a rank above 32, and extents whose product does not fit in `Int`.
    func shape(ofSpace space: hid_t) throws(HDF5Error) -> [Int] {
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR:
            return []
        case H5S_SIMPLE:
            break
        case H5S_NULL:
            throw error(.unsupported, "has a null dataspace, which holds no elements and has no shape")
        default:
            throw libraryError(.malformed, "has an unreadable dataspace")
        }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else {
            throw libraryError(.malformed, "has an unreadable dataspace")
        }
        guard rank <= maximumRank else {
            throw error(.malformed, "has \(rank) dimensions, more than HDF5's \(maximumRank)")
        }
        var extents = [hsize_t](repeating: 0, count: max(rank, 1))
        guard H5Sget_simple_extent_dims(space, &extents, nil) == rank else {
            throw libraryError(.malformed, "has an unreadable dataspace")
        }
        extents.removeLast(extents.count - rank)
        var shape: [Int] = []
        var count = 1
        var overflow = false
        for extent in extents {
            guard let extent = Int(exactly: extent) else {
                overflow = true
                break
            }
            shape.append(extent)
            (count, overflow) = count.multipliedReportingOverflow(by: extent)
            if overflow { break }
        }
        guard !overflow else {
            let described = extents.map(describeExtent).joined(separator: ", ")
            throw error(.malformed, "shape [\(described)] holds more than Int.max elements")
        }
        return shape
    }

    /// Describes an element type, recognizing IEEE half precision among 16-bit floats.
    func elementType(of type: hid_t) throws(HDF5Error) -> HDF5ElementType {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 2: return isIEEEHalf(type) ? .float(bits: 16) : .unsupported("16-bit float with a non-IEEE layout")
            case 4, 8: return .float(bits: size * 8)
            default: return .unsupported("\(size * 8)-bit float")
            }
        case H5T_INTEGER:
            guard [1, 2, 4, 8].contains(size) else {
                return .unsupported("\(size * 8)-bit integer")
            }
            switch H5Tget_sign(type) {
            case H5T_SGN_2: return .signedInteger(bits: size * 8)
            case H5T_SGN_NONE: return .unsignedInteger(bits: size * 8)
            default: throw libraryError(.malformed, "has an integer type of unknown signedness")
            }
        case H5T_STRING:
            let variable = H5Tis_variable_str(type)
            guard variable >= 0 else {
                throw libraryError(.malformed, "has an unreadable string type")
            }
            if variable > 0 {
                return .variableLengthString
            }
            guard size > 0 else {
                throw libraryError(.malformed, "has a string type of no size")
            }
            return .fixedLengthString(bytes: size)
        case H5T_COMPOUND: return .unsupported("compound")
        case H5T_ENUM: return .unsupported("enum")
        case H5T_ARRAY: return .unsupported("array")
        case H5T_VLEN: return .unsupported("variable-length sequence")
        case H5T_OPAQUE: return .unsupported("opaque")
        case H5T_REFERENCE: return .unsupported("reference")
        case H5T_BITFIELD: return .unsupported("bitfield")
        case H5T_TIME: return .unsupported("time")
        default: throw libraryError(.malformed, "has an unreadable element type")
        }
    }

    /// Whether a 2-byte float type has the IEEE binary16 layout.
    private func isIEEEHalf(_ type: hid_t) -> Bool {
        var signPosition = 0
        var exponentPosition = 0
        var exponentSize = 0
        var mantissaPosition = 0
        var mantissaSize = 0
        guard
            H5Tget_fields(type, &signPosition, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize)
                >= 0
        else {
            _ = Library.takeErrorMessage()
            return false
        }
        return (signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize) == (15, 10, 5, 0, 10)
            && H5Tget_ebias(type) == 15 && H5Tget_norm(type) == H5T_NORM_IMPLIED && H5Tget_precision(type) == 16
            && H5Tget_offset(type) == 0
    }

    /// Reads every element of a dataset or attribute.
    ///
    /// With `expected`, fails with ``HDF5Error/Kind/typeMismatch`` unless the elements read as that kind.
    func readElements(from source: ElementSource, expecting expected: HDF5Array.Kind?) throws(HDF5Error) -> HDF5Array {
        let space = source.copySpace()
        guard space >= 0 else {
            throw libraryError(.malformed, "has an unreadable dataspace")
        }
        defer { _ = H5Sclose(space) }
        let shape = try shape(ofSpace: space)
        let count = shape.reduce(1, *)
        let type = source.copyType()
        guard type >= 0 else {
            throw libraryError(.malformed, "has an unreadable element type")
        }
        defer { _ = H5Tclose(type) }
        let elementType = try elementType(of: type)
        guard let kind = elementType.arrayKind else {
            throw error(.unsupported, "cannot read elements of type \(elementType)")
        }
        if let expected, expected != kind {
            throw error(.typeMismatch, "expected \(expected) elements, found \(elementType)")
        }
        if case .dataset(let datasetID) = source {
            try checkStorage(of: datasetID, count: count, type: type, elementType: elementType)
        }
        let storage: HDF5Array.Storage
        switch kind {
        case .float16Bits:
            let memoryType = H5Tcopy(type)
            guard memoryType >= 0 else {
                throw libraryError(.libraryFailure, "cannot copy the element type")
            }
            defer { _ = H5Tclose(memoryType) }
            guard H5Tset_order(memoryType, H5Tget_order(chdf5_t_native_uint16())) >= 0 else {
                throw libraryError(.libraryFailure, "cannot set the byte order of the element type")
            }
            storage = .float16Bits(try readNumbers(count: count, memoryType: memoryType, from: source))
        case .float32:
            storage = .float32(try readNumbers(count: count, memoryType: chdf5_t_native_float(), from: source))
        case .float64:
            storage = .float64(try readNumbers(count: count, memoryType: chdf5_t_native_double(), from: source))
        case .int64:
            storage = .int64(try readNumbers(count: count, memoryType: chdf5_t_native_int64(), from: source))
        case .uint16:
            storage = .uint16(try readNumbers(count: count, memoryType: chdf5_t_native_uint16(), from: source))
        case .uint64:
            storage = .uint64(try readNumbers(count: count, memoryType: chdf5_t_native_uint64(), from: source))
        case .string:
            storage = .strings(try readStrings(count: count, type: type, elementType: elementType, from: source))
        }
        return HDF5Array(shape: shape, storage: storage)
    }

    /// Fails unless `count` elements of `elementBytes` bytes each fit within the read limit.
    private func checkReadSize(count: Int, elementBytes: Int) throws(HDF5Error) {
        let limit = file.limits.maximumReadBytes
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementBytes)
        guard !overflow, bytes <= limit else {
            let total = overflow ? "more than Int.max" : describeExtent(UInt64(bytes))
            throw error(
                .limitExceeded,
                "reading \(describeExtent(UInt64(count))) elements of \(elementBytes) bytes (\(total) bytes) "
                    + "exceeds the read limit of \(limit) bytes")
        }
    }

    /// Checks a dataset's storage against its shape and the file's size before anything is read.
    ///
    /// Refuses virtual datasets and external raw data, which would read other files, and chunks larger
    /// than the read limit, which libhdf5 would allocate whole.
    private func checkStorage(
        of dataset: hid_t, count: Int, type: hid_t, elementType: HDF5ElementType
    ) throws(HDF5Error) {
        var fileSize: hsize_t = 0
        guard H5Fget_filesize(file.fileID, &fileSize) >= 0 else {
            throw libraryError(.libraryFailure, "cannot get the size of the file")
        }
        let properties = H5Dget_create_plist(dataset)
        guard properties >= 0 else {
            throw libraryError(.malformed, "has an unreadable creation property list")
        }
        defer { _ = H5Pclose(properties) }
        let externalFiles = H5Pget_external_count(properties)
        guard externalFiles == 0 else {
            if externalFiles < 0 { _ = Library.takeErrorMessage() }
            throw error(.unsupported, "stores its elements in external files, which this module does not read")
        }
        let storedBytes = H5Dget_storage_size(dataset)
        guard storedBytes <= fileSize else {
            throw error(.malformed, "declares \(storedBytes) bytes of storage in a file of \(fileSize) bytes")
        }
        let elementBytes = UInt64(H5Tget_size(type))
        switch H5Pget_layout(properties) {
        case H5D_CONTIGUOUS:
            // Unallocated storage reads as the fill value.
            guard storedBytes > 0 else { return }
            if elementType != .variableLengthString {
                let (expected, overflow) = UInt64(count).multipliedReportingOverflow(by: elementBytes)
                guard !overflow, expected == storedBytes else {
                    throw error(
                        .malformed,
                        "stores \(storedBytes) bytes for \(count) elements of \(elementBytes) bytes")
                }
            }
            let rawOffset = H5Dget_offset(dataset)
            let offset = UInt64(rawOffset)
            guard rawOffset != haddr_t.max, offset <= fileSize, storedBytes <= fileSize - offset else {
                _ = Library.takeErrorMessage()
                throw error(
                    .malformed, "its \(storedBytes) bytes at offset \(offset) end beyond the file's \(fileSize) bytes")
            }
        case H5D_CHUNKED:
            var extents = [hsize_t](repeating: 0, count: maximumRank)
            let rank = Int(H5Pget_chunk(properties, Int32(maximumRank), &extents))
            guard rank > 0 else {
                throw libraryError(.malformed, "has unreadable chunk dimensions")
            }
            var bytes = elementBytes
            var overflow = false
            for extent in extents.prefix(rank) where !overflow {
                (bytes, overflow) = bytes.multipliedReportingOverflow(by: extent)
            }
            let limit = file.limits.maximumReadBytes
            guard !overflow, bytes <= UInt64(limit) else {
                let described = extents.prefix(rank).map(describeExtent).joined(separator: ", ")
                throw error(
                    .limitExceeded,
                    "chunks of [\(described)] elements of \(elementBytes) bytes exceed the read limit of \(limit) bytes"
                )
            }
        case H5D_COMPACT:
            break
        case H5D_VIRTUAL:
            throw error(.unsupported, "is a virtual dataset, which this module does not read")
        default:
            throw libraryError(.malformed, "has an unreadable storage layout")
        }
    }

    /// Reads `count` numbers, converted by libhdf5 to `memoryType`, whose layout must match `Element`.
    private func readNumbers<Element: BitwiseCopyable>(
        count: Int, memoryType: hid_t, from source: ElementSource
    ) throws(HDF5Error) -> [Element] {
        try checkReadSize(count: count, elementBytes: MemoryLayout<Element>.stride)
        guard count > 0 else { return [] }
        var status: herr_t = 0
        let values = [Element](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            status = source.read(memoryType: memoryType, into: UnsafeMutableRawPointer(buffer.baseAddress!))
            initializedCount = status >= 0 ? count : 0
        }
        guard status >= 0 else {
            throw libraryError(.libraryFailure, "cannot read the elements")
        }
        return values
    }

    /// Reads `count` strings, variable-length or fixed-length, and decodes them as UTF-8.
    private func readStrings(
        count: Int, type: hid_t, elementType: HDF5ElementType, from source: ElementSource
    ) throws(HDF5Error) -> [String] {
        switch elementType {
        case .variableLengthString:
            try checkReadSize(count: count, elementBytes: MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)
            guard count > 0 else { return [] }
            let memoryType = H5Tcopy(chdf5_t_c_s1())
            guard memoryType >= 0 else {
                throw libraryError(.libraryFailure, "cannot create a string type")
            }
            defer { _ = H5Tclose(memoryType) }
            guard H5Tset_size(memoryType, chdf5_t_variable()) >= 0,
                H5Tset_cset(memoryType, H5Tget_cset(type)) >= 0
            else {
                throw libraryError(.libraryFailure, "cannot create a string type")
            }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { source.read(memoryType: memoryType, into: $0.baseAddress!) }
            guard status >= 0 else {
                // What libhdf5 allocated before failing is leaked rather than risking a double free.
                throw libraryError(.libraryFailure, "cannot read the elements")
            }
            defer {
                for pointer in pointers where pointer != nil {
                    _ = H5free_memory(pointer)
                }
            }
            var strings: [String] = []
            strings.reserveCapacity(count)
            var totalBytes = 0
            for (index, pointer) in pointers.enumerated() {
                guard let pointer else {
                    strings.append("")
                    continue
                }
                let length = strlen(pointer)
                totalBytes += length
                guard totalBytes <= file.limits.maximumReadBytes else {
                    throw error(
                        .limitExceeded, "the strings exceed the read limit of \(file.limits.maximumReadBytes) bytes")
                }
                guard
                    let string = String(
                        validating: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
                else {
                    throw error(.malformed, "string \(index) is not valid UTF-8")
                }
                strings.append(string)
            }
            return strings
        case .fixedLengthString(let bytes):
            try checkReadSize(count: count, elementBytes: bytes)
            guard count > 0 else { return [] }
            let memoryType = H5Tcopy(type)
            guard memoryType >= 0 else {
                throw libraryError(.libraryFailure, "cannot copy the element type")
            }
            defer { _ = H5Tclose(memoryType) }
            let spacePadded = H5Tget_strpad(type) == H5T_STR_SPACEPAD
            var raw = [UInt8](repeating: 0, count: count * bytes)
            let status = raw.withUnsafeMutableBytes { source.read(memoryType: memoryType, into: $0.baseAddress!) }
            guard status >= 0 else {
                throw libraryError(.libraryFailure, "cannot read the elements")
            }
            var strings: [String] = []
            strings.reserveCapacity(count)
            for index in 0..<count {
                var element = raw[(index * bytes)..<((index + 1) * bytes)]
                if spacePadded {
                    while element.last == 0x20 { element.removeLast() }
                } else if let end = element.firstIndex(of: 0) {
                    element = element[..<end]
                }
                guard let string = String(validating: element, as: UTF8.self) else {
                    throw error(.malformed, "string \(index) is not valid UTF-8")
                }
                strings.append(string)
            }
            return strings
        default:
            throw error(.typeMismatch, "expected strings, found \(elementType)")
        }
    }
}
