/// The last bytes a candidate wrote to stderr: a bounded buffer that drops the oldest bytes.
struct StderrTail {
    let limit: Int
    private var bytes: [UInt8] = []
    private(set) var droppedCount = 0

    init(limit: Int) {
        self.limit = max(limit, 0)
    }

    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>) {
        guard limit > 0 else {
            droppedCount += chunk.count
            return
        }
        if chunk.count >= limit {
            droppedCount += bytes.count + chunk.count - limit
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[(chunk.count - limit)...]))
            return
        }
        bytes.append(contentsOf: chunk)
        // Trim in bulk, at twice the limit, so that appending stays amortized O(1).
        if bytes.count > 2 * limit {
            let excess = bytes.count - limit
            bytes.removeSubrange(0..<excess)
            droppedCount += excess
        }
    }

    /// The last `limit` bytes as text (invalid UTF-8 replaced), trimmed of surrounding whitespace, with a
    /// leading "…" when earlier output was dropped.
    var text: String {
        let kept = bytes.suffix(limit)
        let text = String(decoding: kept, as: UTF8.self)
        let trimmed = text.unicodeScalars.drop(while: \.properties.isWhitespace)
        var end = trimmed.endIndex
        while end > trimmed.startIndex, trimmed[trimmed.index(before: end)].properties.isWhitespace {
            end = trimmed.index(before: end)
        }
        let result = String(trimmed[trimmed.startIndex..<end])
        let dropped = droppedCount > 0 || kept.count < bytes.count
        return dropped && !result.isEmpty ? "…" + result : result
    }
}
