import Foundation
import HDF5
import Testing

/// Where the committed fixtures are.
enum Fixture {
    static func path(_ name: String) -> String {
        guard let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("the Fixtures resource folder is missing from the test bundle")
        }
        return directory.appendingPathComponent(name).path
    }

    static var types: String { path("types.h5") }
    static var hostile: String { path("hostile.h5") }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }
}

/// A temporary folder for malformed variants of the fixtures, removed when the value goes away.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("HDF5Tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes `bytes` to a file called `name` and returns its path.
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let fileURL = url.appendingPathComponent(name)
        try Data(bytes).write(to: fileURL)
        return fileURL.path
    }
}

/// Runs `body`, which must throw an ``HDF5Error`` of one of `kinds` whose description starts with the file's
/// path and the object's path (and names the attribute, if given); returns the error.
@discardableResult
func expectHDF5Error(
    _ kinds: Set<HDF5Error.Kind>, file: String, object: String?, attribute: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> HDF5Error? {
    do {
        try body()
        Issue.record("expected an HDF5Error of kind \(kinds), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as HDF5Error {
        #expect(kinds.contains(error.kind), "\(error)", sourceLocation: sourceLocation)
        #expect(error.filePath == file, sourceLocation: sourceLocation)
        #expect(error.objectPath == object, "\(error)", sourceLocation: sourceLocation)
        #expect(error.attributeName == attribute, "\(error)", sourceLocation: sourceLocation)
        var prefix = file + ": "
        if let object { prefix += object + ": " }
        if let attribute { prefix += "attribute \"\(attribute)\": " }
        #expect(error.description.hasPrefix(prefix), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.count > prefix.count, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected an HDF5Error, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Reads every group, dataset and attribute in a file, depth first, and returns how many objects it read.
@discardableResult
func readEverything(in group: HDF5Group) throws(HDF5Error) -> Int {
    var objects = 1
    for name in try group.attributes.names() {
        _ = try group.attributes.array(name)
    }
    for name in try group.memberNames() {
        // Dangling soft links and external links do not resolve; the tests that need them test them apart.
        guard let kind = try? group.memberKind(name) else { continue }
        switch kind {
        case .group:
            objects += try readEverything(in: try group.group(name))
        case .dataset:
            let dataset = try group.dataset(name)
            for attribute in try dataset.attributes.names() {
                _ = try dataset.attributes.array(attribute)
            }
            if dataset.elementType.arrayKind != nil {
                let array = try dataset.read()
                #expect(array.shape == dataset.shape)
            }
            objects += 1
        case .namedDatatype:
            break
        }
    }
    return objects
}
