internal import GaussianNLL

/// A golden file's contents as bytes, to hand a file read in one process to another.
///
/// `gnll` reads a golden file in a child process, so that libhdf5 crashing on a malformed file cannot take
/// `gnll` down; the child hands the cases back in this form instead of `gnll` reading the file a second
/// time. The form is private to one build of `gnll` (it starts with a version tag, and any mismatch is an
/// error): little-endian fixed-width integers and doubles, strings as a length and UTF-8 bytes, flags as one byte,
/// tensors as a dtype, a shape and their values as doubles.
extension GoldenFile {
    private static let transferTag: [UInt8] = Array("gnll-golden-transfer-3\n".utf8)

    /// Encodes the file's path, schema version, provenance, profile and cases.
    public func transferEncoded() -> [UInt8] {
        var writer = TransferWriter()
        writer.bytes += Self.transferTag
        writer.string(path)
        writer.integer(UInt64(bitPattern: schemaVersion))
        writer.count(provenance.count)
        for key in provenance.keys.sorted() {
            writer.string(key)
            writer.string(provenance[key]!)
        }
        writer.string(profile.rawValue)
        writer.count(cases.count)
        for golden in cases { writer.goldenCase(golden) }
        return writer.bytes
    }

    /// Decodes what ``transferEncoded()`` wrote.
    ///
    /// - Throws: ``GoldenFileError`` naming `source` when the bytes are not such an encoding.
    public init(transferEncoded bytes: [UInt8], source: String) throws(GoldenFileError) {
        var reader = TransferReader(bytes: bytes, source: source)
        try reader.expectTag(Self.transferTag)
        let path = try reader.string()
        let schemaVersion = Int64(bitPattern: try reader.integer())
        guard Self.readableSchemaVersions.contains(schemaVersion) else {
            throw reader.error("schema version \(schemaVersion)")
        }
        var provenance = [String: String]()
        for _ in 0..<(try reader.count()) {
            let key = try reader.string()
            provenance[key] = try reader.string()
        }
        let profileName = try reader.string()
        guard let profile = Profile(rawValue: profileName) else {
            throw reader.error("unknown profile \"\(profileName)\"")
        }
        var cases = [GoldenCase]()
        for _ in 0..<(try reader.count()) { cases.append(try reader.goldenCase()) }
        guard reader.isAtEnd else { throw reader.error("trailing bytes after the last case") }
        self.init(path: path, schemaVersion: schemaVersion, provenance: provenance, profile: profile, cases: cases)
    }
}

private struct TransferWriter {
    var bytes: [UInt8] = []

    mutating func integer(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    mutating func count(_ value: Int) { integer(UInt64(value)) }

    mutating func double(_ value: Double) { integer(value.bitPattern) }

    mutating func string(_ text: String) {
        count(text.utf8.count)
        bytes += text.utf8
    }

    mutating func tensor(_ tensor: Tensor) {
        string(tensor.dtype.rawValue)
        count(tensor.shape.rank)
        for extent in tensor.shape.dims { count(extent) }
        count(tensor.values.count)
        for value in tensor.values { double(value) }
    }

    mutating func optionalTensor(_ tensor: Tensor?) {
        flag(tensor != nil)
        if let tensor { self.tensor(tensor) }
    }

    mutating func flag(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func operandTensors(_ tensors: OperandTensors) {
        optionalTensor(tensors.input)
        optionalTensor(tensors.target)
        optionalTensor(tensors.variance)
    }

    mutating func goldenCase(_ golden: GoldenCase) {
        string(golden.name)
        string(golden.category)
        string(golden.description)
        let call = golden.call
        tensor(call.input)
        tensor(call.target)
        switch call.variance {
        case .tensor(let variance):
            bytes.append(0)
            tensor(variance)
        case .scalar(let value):
            bytes.append(1)
            double(value)
        }
        bytes.append(call.full ? 1 : 0)
        double(call.eps)
        string(call.reduction)
        optionalTensor(call.gradOutput)
        flag(call.requiresGrad.input)
        flag(call.requiresGrad.target)
        flag(call.requiresGrad.variance)
        flag(call.higherOrder != nil)
        if let request = call.higherOrder {
            flag(request.hvp)
            flag(request.jvp)
            operandTensors(request.tangents)
        }
        switch golden.expected {
        case .success(let result):
            bytes.append(0)
            tensor(result.loss)
            bytes.append(result.gradients == nil ? 0 : 1)
            if let gradients = result.gradients { operandTensors(gradients) }
            flag(result.hvp != nil)
            if let hvp = result.hvp { operandTensors(hvp) }
            optionalTensor(result.jvp)
        case .rejection(let rejection):
            bytes.append(1)
            string(rejection.kind.rawValue)
            string(rejection.exceptionType)
            string(rejection.message)
        }
    }
}

private struct TransferReader {
    let bytes: [UInt8]
    let source: String
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    func error(_ message: String) -> GoldenFileError {
        GoldenFileError(path: source, object: "/", message: "the transferred contents are malformed: \(message)")
    }

    mutating func take(_ count: Int) throws(GoldenFileError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - offset else {
            throw error("\(count) bytes wanted at offset \(offset), \(bytes.count - offset) left")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func expectTag(_ tag: [UInt8]) throws(GoldenFileError) {
        guard try take(tag.count).elementsEqual(tag) else { throw error("not from this version of gnll") }
    }

    mutating func integer() throws(GoldenFileError) -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A count, which can never exceed the bytes left (every counted item takes at least one byte).
    mutating func count() throws(GoldenFileError) -> Int {
        let value = try integer()
        guard value <= UInt64(bytes.count - offset) else { throw error("a count of \(value) at offset \(offset)") }
        return Int(value)
    }

    mutating func double() throws(GoldenFileError) -> Double { Double(bitPattern: try integer()) }

    mutating func flag() throws(GoldenFileError) -> Bool {
        switch try take(1).first! {
        case 0: return false
        case 1: return true
        case let other: throw error("a flag of \(other) at offset \(offset - 1)")
        }
    }

    mutating func string() throws(GoldenFileError) -> String {
        let utf8 = try take(try count())
        guard let text = String(validating: utf8, as: UTF8.self) else { throw error("a string that is not UTF-8") }
        return text
    }

    mutating func tensor() throws(GoldenFileError) -> Tensor {
        let dtypeName = try string()
        guard let dtype = DType(rawValue: dtypeName) else { throw error("unknown dtype \"\(dtypeName)\"") }
        var dims = [Int]()
        for _ in 0..<(try count()) { dims.append(try count()) }
        let valueCount = try count()
        guard valueCount <= (bytes.count - offset) / 8 else { throw error("\(valueCount) values at offset \(offset)") }
        var values = [Double]()
        values.reserveCapacity(valueCount)
        for _ in 0..<valueCount { values.append(try double()) }
        do {
            return try Tensor(dtype: dtype, shape: Shape(dims), values: values)
        } catch {
            throw self.error("a tensor of shape \(Shape(dims)) with \(valueCount) values: \(error)")
        }
    }

    mutating func optionalTensor() throws(GoldenFileError) -> Tensor? {
        try flag() ? try tensor() : nil
    }

    mutating func operandTensors() throws(GoldenFileError) -> OperandTensors {
        OperandTensors(input: try optionalTensor(), target: try optionalTensor(), variance: try optionalTensor())
    }

    mutating func goldenCase() throws(GoldenFileError) -> GoldenCase {
        let name = try string()
        let category = try string()
        let description = try string()
        let input = try tensor()
        let target = try tensor()
        let variance: Variance = try flag() ? .scalar(try double()) : .tensor(try tensor())
        let full = try flag()
        let eps = try double()
        let reduction = try string()
        let gradOutput = try optionalTensor()
        let requiresGrad = RequiresGrad(input: try flag(), target: try flag(), variance: try flag())
        var higherOrder: HigherOrderRequest?
        if try flag() {
            let hvp = try flag()
            let jvp = try flag()
            higherOrder = HigherOrderRequest(tangents: try operandTensors(), hvp: hvp, jvp: jvp)
        }
        let call = LossCase(
            input: input, target: target, variance: variance, full: full, eps: eps, reduction: reduction,
            gradOutput: gradOutput, requiresGrad: requiresGrad, higherOrder: higherOrder)
        let expected: LossOutcome
        if try flag() {
            let kindName = try string()
            guard let kind = RejectionKind(rawValue: kindName) else {
                throw error("unknown rejection kind \"\(kindName)\"")
            }
            expected = .rejection(Rejection(kind: kind, exceptionType: try string(), message: try string()))
        } else {
            let loss = try tensor()
            let gradients: Gradients? = try flag() ? try operandTensors() : nil
            let hvp: OperandTensors? = try flag() ? try operandTensors() : nil
            let jvp = try optionalTensor()
            expected = .success(LossResult(loss: loss, gradients: gradients, hvp: hvp, jvp: jvp))
        }
        return GoldenCase(name: name, category: category, description: description, call: call, expected: expected)
    }
}
