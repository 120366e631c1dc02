import HDF5
import Testing

@Suite("Concurrent use")
struct ConcurrencyTests {
    @Test func readsFromManyTasksAgree() async throws {
        let shared = try HDF5File(path: Fixture.types)
        let expected = try shared.root.dataset("data/chunked").read()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    // Half the tasks share one file value; the others open their own.
                    let file = task.isMultiple(of: 2) ? shared : try HDF5File(path: Fixture.types)
                    for _ in 0..<10 {
                        guard try file.root.dataset("data/chunked").read() == expected,
                            try file.root.attributes.string("profile") == "torch-test",
                            try readEverything(in: file.root) == 31
                        else { return false }
                    }
                    return true
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 })
    }

    @Test func valuesOutliveTheirFile() throws {
        let dataset = try HDF5File(path: Fixture.types).root.dataset("data/float64")
        #expect(try dataset.read().storage == .float64([0.1, -1e300, Double.leastNonzeroMagnitude]))
    }
}
