import GaussianNLL
import GoldenFiles

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The golden-file reader on arbitrary bytes: the input is written to a file, which `GoldenFile(path:)`
/// and `GoldenFile.profile(ofFileAt:)` then read. A malformed file must give a `GoldenFileError`, never a
/// crash, a leak or an unbounded allocation; the cases of a file that reads are evaluated when small.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard writeFile(data, size, to: scratchPath) else { return 0 }
    _ = try? GoldenFile.profile(ofFileAt: scratchPath)
    guard let file = try? GoldenFile(path: scratchPath) else { return 0 }
    for golden in file.cases {
        let call = golden.call
        let operands = [call.input, call.target, call.variance.tensor, call.gradOutput].compactMap { $0 }
        guard operands.allSatisfy({ $0.elementCount <= 256 }) else { continue }
        _ = Reference.evaluate(call, profile: file.profile)
    }
    return 0
}

/// The file each input is written to: one per process, so that parallel fuzzers do not collide.
let scratchPath: String = {
    let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    let path = "\(folder)/gnll-fuzz-golden-\(getpid()).h5"
    atexit { _ = unlink(scratchPath) }
    return path
}()

/// Writes the bytes to a file, replacing it; false when the file cannot be written.
func writeFile(_ data: UnsafePointer<UInt8>, _ size: Int, to path: String) -> Bool {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var written = 0
    while written < size {
        let count = write(descriptor, data + written, size - written)
        guard count > 0 else { return false }
        written += count
    }
    return true
}
