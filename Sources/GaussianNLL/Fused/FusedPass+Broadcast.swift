extension FusedPass {
    /// Lays out the row-constant operands of a run of elements per element: var per row (clamped,
    /// with its logarithm) and broadcast target. It moves forward through the rows.
    struct Expansion {
        let pass: FusedPass
        var row: Int
        var rowStart: Int
        var targetRow: TargetRow
        var rowVariance: S = 0
        var rowVarianceLog: S = 0

        init(_ pass: FusedPass, position: Int) {
            self.pass = pass
            row = position / pass.width
            rowStart = row * pass.width
            targetRow = TargetRow(layout: pass.layout, row: row)
            loadRow()
        }

        mutating func loadRow() {
            guard pass.layout.variance == .perRow else { return }
            rowVariance = pass.clamp.apply(pass.variance![row])
            rowVarianceLog = S.libraryLog(rowVariance)
        }

        /// Fills the scratch for the elements `position..<end`, which must not lie before the row.
        mutating func fill(_ position: Int, _ end: Int, into scratch: Scratch) {
            var cursor = position
            while cursor < end {
                while cursor >= rowStart + pass.width {
                    row += 1
                    rowStart += pass.width
                    targetRow.advance()
                    loadRow()
                }
                let runEnd = min(end, rowStart + pass.width)
                let offset = cursor - position
                let count = runEnd - cursor
                if let target = scratch.target {
                    let (targetOffset, advances) = targetRow.offset(column: cursor - rowStart)
                    let source = pass.target + targetOffset
                    if advances {
                        for index in 0..<count { target[offset + index] = source[index] }
                    } else {
                        let value = source[0]
                        for index in 0..<count { target[offset + index] = value }
                    }
                }
                if let variance = scratch.rowVariance, let log = scratch.rowVarianceLog {
                    let step = S.Vector.laneCount
                    let varianceLanes = S.Vector(repeating: rowVariance)
                    let logLanes = S.Vector(repeating: rowVarianceLog)
                    var index = 0
                    while index &+ step <= count {
                        varianceLanes.store(to: variance + (offset &+ index))
                        logLanes.store(to: log + (offset &+ index))
                        index &+= step
                    }
                    while index < count {
                        variance[offset &+ index] = rowVariance
                        log[offset &+ index] = rowVarianceLog
                        index &+= 1
                    }
                }
                cursor = runEnd
            }
        }
    }

    /// Where target's values for a row start, kept by counting rather than dividing.
    struct TargetRow {
        let layout: FusedLayout
        /// `repeating`: the row within the period; `perRows`: the row within the group.
        var phase: Int
        /// `perRows`: the group.
        var group: Int

        init(layout: FusedLayout, row: Int) {
            self.layout = layout
            switch layout.target {
            case .repeating(let period):
                phase = row % period
                group = 0
            case .perRows(let rowsPerValue):
                phase = row % rowsPerValue
                group = row / rowsPerValue
            }
        }

        mutating func advance() {
            phase += 1
            switch layout.target {
            case .repeating(let period):
                if phase == period { phase = 0 }
            case .perRows(let rowsPerValue):
                if phase == rowsPerValue {
                    phase = 0
                    group += 1
                }
            }
        }

        /// target's offset for a column, and whether it advances along the row.
        func offset(column: Int) -> (offset: Int, advances: Bool) {
            switch layout.target {
            case .repeating: (phase * layout.width + column, true)
            case .perRows: (group, false)
            }
        }
    }
}
