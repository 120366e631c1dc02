import ArgumentParser
import Foundation
import GoldenFiles

/// `gnll golden probe FILE`: read a golden file completely and exit 0, or print why not and exit 2.
struct GoldenProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Read a golden file completely (used to isolate the HDF5 library).",
        shouldDisplay: false)

    @Argument var path: String

    @Flag(help: "Read only the root attributes.")
    var headerOnly = false

    @Flag(help: "Write the file's contents to stdout, encoded for the gnll that started this one.")
    var handBack = false

    func run() throws {
        do {
            // Opening a FIFO or a device would block or read forever: only a regular file is read.
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw GoldenFileError(path: path, object: "/", message: String(cString: strerror(errno)))
            }
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw GoldenFileError(path: path, object: "/", message: "not a regular file")
            }
            if headerOnly {
                _ = try GoldenFile.profile(ofFileAt: path)
            } else {
                let file = try GoldenFile(path: path)
                if handBack { try FileHandle.standardOutput.write(contentsOf: Data(file.transferEncoded())) }
            }
        } catch {
            printError("\(error)")
            throw cannotDecide
        }
    }
}
