public import GaussianNLL
internal import HDF5

/// A golden file: calls of `gaussian_nll_loss` and what one real PyTorch release returned for them.
///
/// The format is written up in CONFORMANCE.md ("Golden file format"); `Tools/export_golden.py` writes it.
/// Reading validates everything against that schema, so a malformed file gives a ``GoldenFileError``
/// naming the file and the object. libhdf5 itself can still crash or hang on corrupted metadata
/// (Fuzz/KnownIssues), which no check in this process can prevent: `gnll` reads each file in a child process
/// first (`GoldenFileLoader` in GoldenReplay lets a caller do the same).
public struct GoldenFile: Sendable {
    /// The schema version `Tools/export_golden.py` writes: 3, which adds Hessian-vector products and forward-mode
    /// derivatives (the `hvp` and `jvp` attributes, the tangents and the results) to schema 2; schema 2 added
    /// integer and bool operands, non-finite eps and scalar var, and `requires_grad` per operand to schema 1.
    public static let schemaVersion: Int64 = 3

    /// The schema versions this reader reads: 1 (the files before protocol 2, where every tensor operand of a case
    /// with gradients requires grad), 2 and 3 (a schema 1 or 2 case has no higher-order derivatives).
    public static let readableSchemaVersions: ClosedRange<Int64> = 1...3

    public let path: String
    /// The file's schema version: 1, 2 or 3.
    public let schemaVersion: Int64
    /// The root attributes: versions, platform, generator, seed, creation time.
    public let provenance: [String: String]
    /// The profile the recording PyTorch release follows.
    public let profile: Profile
    /// The cases, ordered by name.
    public let cases: [GoldenCase]

    init(path: String, schemaVersion: Int64, provenance: [String: String], profile: Profile, cases: [GoldenCase]) {
        self.path = path
        self.schemaVersion = schemaVersion
        self.provenance = provenance
        self.profile = profile
        self.cases = cases
    }

    /// The most bytes one dataset may hold: 64 MiB (the committed files' largest is 800 KB).
    public static let maximumDatasetBytes = 64 << 20

    /// The most bytes the tensors of one file may take once decoded (8 bytes a value): 256 MiB (the committed
    /// files take 28 MB). A malformed file can declare huge datasets that hold nothing but a fill value;
    /// these bounds refuse them before anything is allocated.
    public static let maximumDecodedBytes = 256 << 20

    /// The most elements one case may hold in its tensors together, and the most its element-wise loss may have:
    /// 2^21 = 2,097,152 (the committed files' largest case holds 402,200 and has 102,400 loss elements). The
    /// oracle and the judge keep several values per element, so this bounds their memory for one case (about
    /// 0.3 GB at the limit), which the byte limits alone do not: a few compressed kilobytes can hold millions of
    /// zeros.
    public static let maximumCaseElements = 1 << 21

    /// Reads and validates a golden file.
    public init(path: String) throws(GoldenFileError) {
        self.path = path
        let file: HDF5File
        do {
            file = try HDF5File(path: path, limits: HDF5Limits(maximumReadBytes: Self.maximumDatasetBytes))
        } catch {
            throw GoldenFileError(error)
        }
        let budget = DecodingBudget(bytes: Self.maximumDecodedBytes)
        do {
            let root = file.root
            var provenance = [String: String]()
            for name in try root.attributes.names() {
                provenance[name] = Self.text(try root.attributes.value(name))
            }
            self.provenance = provenance
            let version = try root.attributes.int64("schema_version")
            guard Self.readableSchemaVersions.contains(version) else {
                throw GoldenFileError(
                    path: path, object: "/",
                    message: "schema version \(version) is not supported (this reader reads schema versions 1, 2 and 3)"
                )
            }
            schemaVersion = version
            let profileName = try root.attributes.string("profile")
            guard let profile = Profile(rawValue: profileName) else {
                throw GoldenFileError(path: path, object: "/", message: "unknown profile \"\(profileName)\"")
            }
            self.profile = profile
            let group = try root.group("cases")
            cases = try group.memberNames().map { name throws(GoldenFileError) in
                try GoldenCase(
                    group: try Self.wrap { () throws(HDF5Error) in try group.group(name) }, name: name, path: path,
                    schemaVersion: version, budget: budget)
            }
            guard !cases.isEmpty else {
                throw GoldenFileError(path: path, object: "/cases", message: "holds no case: nothing would be replayed")
            }
            if try root.attributes.contains("case_count") {
                let declared = try root.attributes.int64("case_count")
                guard declared == cases.count else {
                    throw GoldenFileError(
                        path: path, object: "/",
                        message: "case_count is \(declared), but /cases holds \(cases.count) cases")
                }
            }
        } catch let error as GoldenFileError {
            throw error
        } catch let error as HDF5Error {
            throw GoldenFileError(error)
        } catch {
            throw GoldenFileError(path: path, object: "/", message: "\(error)")
        }
    }

    /// The profile a golden file records, read from its root attributes alone.
    public static func profile(ofFileAt path: String) throws(GoldenFileError) -> Profile {
        let name = try wrap { () throws(HDF5Error) in try HDF5File(path: path).root.attributes.string("profile") }
        guard let profile = Profile(rawValue: name) else {
            throw GoldenFileError(path: path, object: "/", message: "unknown profile \"\(name)\"")
        }
        return profile
    }

    static func wrap<T>(_ body: () throws(HDF5Error) -> T) throws(GoldenFileError) -> T {
        do { return try body() } catch { throw GoldenFileError(error) }
    }

    private static func text(_ value: HDF5Value) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .float(let number): String(number)
        default: value.description
        }
    }
}

/// One recorded call and PyTorch's answer to it.
public struct GoldenCase: Sendable {
    /// A stable name, the same in every golden file made from the same plan.
    public let name: String
    public let category: String
    public let description: String
    public let call: LossCase
    /// What PyTorch returned, or the exception it raised.
    public let expected: LossOutcome

    init(name: String, category: String, description: String, call: LossCase, expected: LossOutcome) {
        self.name = name
        self.category = category
        self.description = description
        self.call = call
        self.expected = expected
    }

    init(
        group: HDF5Group, name: String, path: String, schemaVersion: Int64, budget: DecodingBudget
    )
        throws(GoldenFileError)
    {
        let object = group.path
        func fail(_ message: String) -> GoldenFileError {
            GoldenFileError(path: path, object: object, message: message)
        }
        let attributes = group.attributes
        do {
            self.name = name
            category = try attributes.string("category")
            description = try attributes.string("description")
            let full = try attributes.int64("full")
            let grad = try attributes.int64("grad")
            guard full == 0 || full == 1 else { throw fail("attribute full is \(full), not 0 or 1") }
            guard grad == 0 || grad == 1 else { throw fail("attribute grad is \(grad), not 0 or 1") }
            let eps = try attributes.double("eps")
            let reduction = try attributes.string("reduction")
            let members = Set(try group.memberNames())
            var caseElements = 0
            func tensor(_ name: String) throws(GoldenFileError) -> Tensor {
                guard members.contains(name) else { throw fail("dataset \(name) is missing") }
                let dataset = try GoldenFile.wrap { () throws(HDF5Error) in try group.dataset(name) }
                // HDF5Dataset guarantees that the element count fits in an Int.
                caseElements += dataset.shape.reduce(1, *)
                guard caseElements <= GoldenFile.maximumCaseElements else {
                    throw fail(
                        "its tensors hold more than \(GoldenFile.maximumCaseElements) elements together (at \(name)),"
                            + " the most a golden case may hold")
                }
                return try GoldenTensor.read(dataset, schemaVersion: schemaVersion, budget: budget)
            }
            let variance: Variance
            if try attributes.contains("var_scalar") {
                variance = .scalar(try attributes.double("var_scalar"))
            } else {
                variance = .tensor(try tensor("var"))
            }
            var call = LossCase(
                input: try tensor("input"), target: try tensor("target"), variance: variance, full: full == 1, eps: eps,
                reduction: reduction)
            if let count = Self.lossElementCount(call), count > GoldenFile.maximumCaseElements {
                throw fail(
                    "its loss would have \(count) elements, more than the \(GoldenFile.maximumCaseElements) a golden case"
                        + " may have")
            }
            let requiresGrad = try Self.requiresGrad(
                of: call, attributes: attributes, grad: grad == 1, schemaVersion: schemaVersion, fail: fail)
            call.requiresGrad = requiresGrad
            let higherOrder = try Self.higherOrderFlags(
                attributes: attributes, grad: grad == 1, schemaVersion: schemaVersion, fail: fail)
            // The datasets of one operand each: its tangent or its hvp, exactly for the operands that require grad,
            // each with the operand's shape and dtype; none when `wanted` is false.
            let operands: [(name: String, key: String, tensor: Tensor?, required: Bool)] = [
                ("input", "input", call.input, requiresGrad.input),
                ("target", "target", call.target, requiresGrad.target),
                ("var", "var", variance.tensor, requiresGrad.variance && variance.tensor != nil),
            ]
            func perOperand(_ prefix: String, wanted: Bool, why: String) throws(GoldenFileError) -> OperandTensors {
                var found = [Tensor?]()
                for operand in operands {
                    let name = "\(prefix)_\(operand.key)"
                    guard wanted && operand.required else {
                        if members.contains(name) {
                            throw fail(
                                wanted
                                    ? "dataset \(name) is present, but \(operand.name) does not require grad"
                                    : "dataset \(name) is present, but \(why)")
                        }
                        found.append(nil)
                        continue
                    }
                    let value = try tensor(name)
                    if let like = operand.tensor, value.shape != like.shape || value.dtype != like.dtype {
                        throw fail(
                            "dataset \(name) is \(value.dtype) \(value.shape), but \(operand.name) is \(like.dtype)"
                                + " \(like.shape) (it must have its operand's shape and dtype)")
                    }
                    found.append(value)
                }
                return OperandTensors(input: found[0], target: found[1], variance: found[2])
            }
            let wantsHigherOrder = higherOrder.hvp || higherOrder.jvp
            let tangents = try perOperand("tangent", wanted: wantsHigherOrder, why: "hvp and jvp are 0 or absent")
            if wantsHigherOrder {
                call.higherOrder = HigherOrderRequest(tangents: tangents, hvp: higherOrder.hvp, jvp: higherOrder.jvp)
            }
            switch try attributes.string("outcome") {
            case "ok":
                let loss = try tensor("loss")
                var gradients: Gradients?
                if grad == 1 {
                    call.gradOutput = try tensor("grad_output")
                    func gradient(_ name: String, _ operand: String, required: Bool) throws(GoldenFileError) -> Tensor?
                    {
                        if required { return try tensor(name) }
                        guard !members.contains(name) else {
                            throw fail("dataset \(name) is present, but \(operand) does not require grad")
                        }
                        return nil
                    }
                    gradients = Gradients(
                        input: try gradient("grad_input", "input", required: requiresGrad.input),
                        target: try gradient("grad_target", "target", required: requiresGrad.target),
                        variance: try gradient(
                            "grad_var", "var", required: requiresGrad.variance && variance.tensor != nil))
                }
                let hvp = try perOperand("hvp", wanted: higherOrder.hvp, why: "hvp is 0 or absent")
                var jvp: Tensor?
                if higherOrder.jvp {
                    let value = try tensor("jvp")
                    guard value.shape == loss.shape && value.dtype == loss.dtype else {
                        throw fail(
                            "dataset jvp is \(value.dtype) \(value.shape), but the loss is \(loss.dtype) \(loss.shape)"
                                + " (it must have the loss's shape and dtype)")
                    }
                    jvp = value
                } else if members.contains("jvp") {
                    throw fail("dataset jvp is present, but jvp is 0 or absent")
                }
                expected = .success(
                    LossResult(loss: loss, gradients: gradients, hvp: higherOrder.hvp ? hvp : nil, jvp: jvp))
            case "error":
                let kindName = try attributes.string("error_kind")
                guard let kind = RejectionKind(rawValue: kindName) else {
                    throw fail("unknown error_kind \"\(kindName)\"")
                }
                expected = .rejection(
                    Rejection(
                        kind: kind, exceptionType: try attributes.string("error_type"),
                        message: try attributes.string("error_message")))
                if grad == 1 && members.contains("grad_output") { call.gradOutput = try tensor("grad_output") }
            case let other:
                throw fail("outcome is \"\(other)\", not ok or error")
            }
            if let problem = call.higherOrderProblem { throw fail(problem) }
            self.call = call
        } catch let error as GoldenFileError {
            throw error
        } catch let error as HDF5Error {
            throw GoldenFileError(error)
        } catch {
            throw fail("\(error)")
        }
    }

    /// The names of the `requires_grad_*` attributes, for input, target and var.
    static let requiresGradAttributes = ["requires_grad_input", "requires_grad_target", "requires_grad_var"]

    /// Which operands require grad: schema 2's `requires_grad_*` attributes, present exactly when `grad` is 1, each 0
    /// or 1, at least one 1, and 0 for a scalar var and for an integer or bool operand; in schema 1, which has none
    /// of them, every tensor operand. Without gradients (`grad` 0) it is the default, ``RequiresGrad/all``, which a
    /// call without `grad_output` ignores.
    static func requiresGrad(
        of call: LossCase, attributes: HDF5Attributes, grad: Bool, schemaVersion: Int64,
        fail: (String) -> GoldenFileError
    ) throws -> RequiresGrad {
        var present = [String]()
        for name in requiresGradAttributes where try attributes.contains(name) { present.append(name) }
        if let name = present.first {
            guard schemaVersion >= 2 else {
                throw fail("attribute \(name) needs schema version 2 (the file is schema \(schemaVersion))")
            }
            guard grad else { throw fail("attribute \(name) is present, but grad is 0") }
        }
        guard grad else { return .all }
        guard schemaVersion >= 2 else {
            return RequiresGrad(input: true, target: true, variance: call.variance.tensor != nil)
        }
        let operands: [(name: String, dtype: DType?)] = [
            ("input", call.input.dtype), ("target", call.target.dtype), ("var", call.variance.tensor?.dtype),
        ]
        var flags = [Bool]()
        for (attribute, operand) in zip(requiresGradAttributes, operands) {
            guard present.contains(attribute) else { throw fail("attribute \(attribute) is missing (grad is 1)") }
            let value = try attributes.int64(attribute)
            guard value == 0 || value == 1 else { throw fail("attribute \(attribute) is \(value), not 0 or 1") }
            if value == 1 {
                guard let dtype = operand.dtype else { throw fail("attribute \(attribute) is 1 for a scalar var") }
                guard dtype.isFloatingPoint else {
                    throw fail(
                        "attribute \(attribute) is 1 for \(GoldenTensor.article(dtype)) \(dtype) \(operand.name), which"
                            + " cannot require grad")
                }
            }
            flags.append(value == 1)
        }
        guard flags.contains(true) else { throw fail("grad is 1, but no operand requires grad") }
        return RequiresGrad(input: flags[0], target: flags[1], variance: flags[2])
    }
}

extension GoldenCase {
    /// Which higher-order derivatives a case records: schema 3's `hvp` and `jvp` attributes, present exactly when
    /// `grad` is 1, each 0 or 1; schemas 1 and 2 have neither (both false).
    static func higherOrderFlags(
        attributes: HDF5Attributes, grad: Bool, schemaVersion: Int64, fail: (String) -> GoldenFileError
    ) throws -> (hvp: Bool, jvp: Bool) {
        var flags = [Bool]()
        for name in ["hvp", "jvp"] {
            guard try attributes.contains(name) else {
                if grad && schemaVersion >= 3 { throw fail("attribute \(name) is missing (grad is 1)") }
                flags.append(false)
                continue
            }
            guard schemaVersion >= 3 else {
                throw fail("attribute \(name) needs schema version 3 (the file is schema \(schemaVersion))")
            }
            guard grad else { throw fail("attribute \(name) is present, but grad is 0") }
            let value = try attributes.int64(name)
            guard value == 0 || value == 1 else { throw fail("attribute \(name) is \(value), not 0 or 1") }
            flags.append(value == 1)
        }
        return (flags[0], flags[1])
    }

    /// The element count of the broadcast of input, target and var, or `nil` when they do not broadcast (such a
    /// call is rejected before any element is computed).
    static func lossElementCount(_ call: LossCase) -> Int? {
        guard case .success(var shape) = Shape.broadcast(call.input.shape, call.target.shape) else { return nil }
        if let variance = call.variance.tensor, case .success(let withVariance) = Shape.broadcast(shape, variance.shape)
        {
            shape = withVariance
        }
        return try? shape.elementCount()
    }
}

/// What is left of a file's ``GoldenFile/maximumDecodedBytes``.
final class DecodingBudget {
    private(set) var bytes: Int

    init(bytes: Int) {
        self.bytes = bytes
    }

    /// Takes `count` values of 8 bytes, or returns `false` (taking nothing) when they do not fit.
    func take(values count: Int) -> Bool {
        let (needed, overflow) = count.multipliedReportingOverflow(by: 8)
        guard !overflow, needed <= bytes else { return false }
        bytes -= needed
        return true
    }
}

/// Tensors as the golden files store them.
enum GoldenTensor {
    /// "an" before int32 and int64, "a" before the other dtypes.
    static func article(_ dtype: DType) -> String {
        dtype.rawValue.hasPrefix("int") ? "an" : "a"
    }

    /// The largest magnitude an int64 tensor may hold: every integer up to 2^53 is exact as a `Double`.
    static let largestInt64Magnitude: Int64 = 1 << 53

    static func read(
        _ dataset: HDF5Dataset, schemaVersion: Int64, budget: DecodingBudget
    ) throws(GoldenFileError)
        -> Tensor
    {
        func fail(_ message: String) -> GoldenFileError {
            GoldenFileError(path: dataset.filePath, object: dataset.path, message: message)
        }
        // HDF5Dataset guarantees that the element count fits in an Int.
        let count = dataset.shape.reduce(1, *)
        guard budget.take(values: count) else {
            throw fail(
                "its \(count) elements (shape \(dataset.shape)) would take the file's tensors past "
                    + "\(GoldenFile.maximumDecodedBytes >> 20) MiB decoded")
        }
        let dtypeName: String
        do {
            dtypeName = try dataset.attributes.string("dtype")
        } catch {
            throw GoldenFileError(error)
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw fail("unknown dtype \"\(dtypeName)\"") }
        if !dtype.isFloatingPoint && schemaVersion < 2 {
            throw fail(
                "\(article(dtype)) \(dtype) tensor needs schema version 2 (the file is schema \(schemaVersion))")
        }
        // The HDF5 type each dtype is stored as; the reader widens every integer type to Int64.
        let storedAs: HDF5ElementType? =
            switch dtype {
            case .int32: .signedInteger(bits: 32)
            case .int64: .signedInteger(bits: 64)
            case .bool: .unsignedInteger(bits: 8)
            default: nil
            }
        if let storedAs, dataset.elementType != storedAs {
            throw fail(
                "\(article(dtype)) \(dtype) tensor cannot be stored as \(dataset.elementType) (it is stored as"
                    + " \(storedAs))")
        }
        let array: HDF5Array
        do {
            array = try dataset.read()
        } catch {
            throw GoldenFileError(error)
        }
        let values: [Double]
        switch (dtype, array.storage) {
        case (.float16, .float16Bits(let bits)): values = bits.map { Double(Float16(bitPattern: $0)) }
        case (.bfloat16, .uint16(let bits)): values = bits.map(BFloat16Bits.value)
        case (.float32, .float32(let floats)): values = floats.map(Double.init)
        case (.float64, .float64(let doubles)): values = doubles
        case (.int32, .int64(let integers)): values = integers.map(Double.init)
        case (.int64, .int64(let integers)):
            if let index = integers.firstIndex(where: { $0.magnitude > Self.largestInt64Magnitude.magnitude }) {
                throw fail(
                    "element \(index) of the int64 tensor is \(integers[index]), beyond ±2^53 (the most a golden file's"
                        + " int64 may hold)")
            }
            values = integers.map(Double.init)
        case (.bool, .int64(let bytes)):
            if let index = bytes.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw fail("element \(index) of the bool tensor is the byte \(bytes[index]), not 0 or 1")
            }
            values = bytes.map(Double.init)
        default: throw fail("\(article(dtype)) \(dtype) tensor cannot be stored as \(array.storage.kind)")
        }
        do {
            return try Tensor(dtype: dtype, shape: Shape(array.shape), values: values)
        } catch {
            throw fail("\(error)")
        }
    }
}

/// A golden file that cannot be read: the file, the object in it, and what is wrong.
public struct GoldenFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var object: String
    public var message: String

    public init(path: String, object: String, message: String) {
        self.path = path
        self.object = object
        self.message = message
    }

    init(_ error: HDF5Error) {
        self.init(path: error.filePath, object: error.objectPath ?? "/", message: "\(error)")
    }

    public var description: String {
        message.hasPrefix(path) ? message : "\(path): \(object): \(message)"
    }
}
