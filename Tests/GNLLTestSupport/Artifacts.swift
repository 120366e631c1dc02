public import Foundation

/// A folder for one test's files, under one folder per test process that is removed when the process
/// exits; `GNLL_TEST_ARTIFACTS` names a folder to keep them in instead (to look at the HTML and its
/// screenshot).
public func artifactsFolder(_ name: String) throws -> URL {
    let folder = ArtifactsBase.url.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

private enum ArtifactsBase {
    static let kept = ProcessInfo.processInfo.environment["GNLL_TEST_ARTIFACTS"]
    static let temporary = FileManager.default.temporaryDirectory
        .appendingPathComponent("gnll-tests-\(ProcessInfo.processInfo.processIdentifier)")

    static let url: URL = {
        if let kept { return URL(fileURLWithPath: kept) }
        atexit { try? FileManager.default.removeItem(at: ArtifactsBase.temporary) }
        return temporary
    }()
}

extension JSONDecoder {
    /// A Foundation decoder with the results' non-finite number strings.
    public static var results: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
