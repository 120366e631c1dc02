internal import GaussianNLL

/// The forms var's shape can take relative to input's shape, valid and invalid under some profile.
enum VarianceForm: CaseIterable, Sendable {
    /// input's shape.
    case same
    /// `input.shape[:-1]`, unsqueezed at -1 (for a 1-D input: a 0-d var).
    case dropLast
    /// `input.shape[:-1] + (1,)`.
    case dropLastUnit
    /// A Python float (torch 2.6 and later).
    case scalar
    /// input's shape with one extent that is not 1 set to 1: the torch-2.10 same-rank form.
    case sameRankUnit
    /// input's shape with two extents set to 1: rejected by torch 2.10 (issue 176244).
    case sameRankTwoUnits
    /// input's shape with one extent set to 0 and another to 1: passes torch 2.10's check, then fails to broadcast.
    case sameRankZeroUnit
    /// A 0-d var.
    case zeroDimensional
    /// A shape that no profile's rule gives: a wrong extent, reversed extents, an extra dimension, another rank.
    case wrong
}

/// The forms target's shape can take relative to input's shape.
enum TargetForm: CaseIterable, Sendable {
    case same
    /// input's trailing dimensions only.
    case suffix
    /// input's shape with some extents set to 1.
    case unitExtents
    /// A shape that makes the loss larger than input: input's size-1 extents filled in, or leading dimensions added.
    case larger
    /// A 0-d target.
    case zeroDimensional
    /// A shape that does not broadcast with input's.
    case mismatched
    /// The same elements in another shape with the same `(N, -1)` view (torch 1.8 accepts it).
    case sameView
}

extension ChoiceSource {
    /// An extent, usually 1 to 4; 0 with the given weight.
    mutating func extent(zeroWeight: Double = 0) -> Int {
        weighted([(3, 1), (3, 2), (3, 3), (2, 4), (1, 5), (0.5, 6), (zeroWeight, 0)])
    }

    /// A rank in the range, weighted toward 1 to 3.
    mutating func rank(_ range: ClosedRange<Int>) -> Int {
        let weights: [Double] = [1, 3, 4, 2.5, 1, 0.6, 0.4]
        let options = range.map { (weights[Swift.min($0, weights.count - 1)], $0) }
        return weighted(options)
    }

    /// A shape with at most `maximumElements` elements (zero-size shapes aside).
    mutating func shape(
        rank range: ClosedRange<Int> = 0...6, maximumElements: Int = 64, zeroWeight: Double = 0.15
    ) -> Shape {
        let dims = (0..<rank(range)).map { _ in extent(zeroWeight: zeroWeight) }
        return Shape(dims).limited(to: maximumElements)
    }

    /// var's shape for a form, or `nil` when the form does not apply to this input (or is a Python float).
    mutating func varianceShape(_ form: VarianceForm, input: Shape) -> Shape? {
        let dims = input.dims
        switch form {
        case .same:
            return input
        case .dropLast:
            return dims.isEmpty ? nil : input.droppingLast
        case .dropLastUnit:
            return dims.isEmpty ? nil : input.droppingLast.appendingUnitAxis
        case .scalar:
            return nil
        case .sameRankUnit:
            let axes = dims.indices.filter { dims[$0] != 1 }
            guard !axes.isEmpty else { return nil }
            var result = dims
            result[element(axes)] = 1
            return Shape(result)
        case .sameRankTwoUnits:
            let axes = dims.indices.filter { dims[$0] != 1 }
            guard axes.count >= 2 else { return nil }
            let first = index(axes.count)
            var second = index(axes.count - 1)
            if second >= first { second += 1 }
            var result = dims
            result[axes[first]] = 1
            result[axes[second]] = 1
            return Shape(result)
        case .sameRankZeroUnit:
            let axes = dims.indices.filter { dims[$0] > 1 }
            guard axes.count >= 2 else { return nil }
            let zero = index(axes.count)
            var unit = index(axes.count - 1)
            if unit >= zero { unit += 1 }
            var result = dims
            result[axes[zero]] = 0
            result[axes[unit]] = 1
            return Shape(result)
        case .zeroDimensional:
            return []
        case .wrong:
            switch int(in: 0...5) {
            case 0 where !dims.isEmpty:
                var result = dims
                result[result.count - 1] += 1
                return Shape(result)
            case 1 where dims.count >= 2 && dims != dims.reversed():
                return Shape(dims.reversed())
            case 2:
                return Shape([2] + dims).limited(to: 128)
            case 3 where !dims.isEmpty:
                return Shape(input.droppingLast.dims + [dims[dims.count - 1] == 2 ? 3 : 2])
            case 4 where dims.count >= 2:
                return Shape(Array(dims.dropFirst()))
            default:
                return shape(rank: 1...3, maximumElements: 24, zeroWeight: 0)
            }
        }
    }

    /// target's shape for a form (`same` when the form does not apply).
    mutating func targetShape(_ form: TargetForm, input: Shape) -> Shape {
        let dims = input.dims
        switch form {
        case .same:
            return input
        case .suffix:
            guard !dims.isEmpty else { return input }
            return Shape(Array(dims.dropFirst(int(in: 1...dims.count))))
        case .unitExtents:
            return Shape(dims.map { chance(0.5) ? 1 : $0 })
        case .larger:
            let units = dims.indices.filter { dims[$0] == 1 }
            if !units.isEmpty && chance(0.7) {
                var result = dims
                for axis in units where chance(0.7) { result[axis] = int(in: 2...4) }
                if result != dims { return Shape(result).limited(to: 128) }
            }
            return Shape([int(in: 2...4)] + dims).limited(to: 128)
        case .zeroDimensional:
            return []
        case .mismatched:
            let axes = dims.indices.filter { dims[$0] != 1 }
            guard !axes.isEmpty else { return input }
            var result = dims
            result[element(axes)] += 1
            return Shape(result)
        case .sameView:
            if dims.count >= 3 && chance(0.5) {
                return Shape(Array(dims.dropLast(2)) + [dims[dims.count - 2] * dims[dims.count - 1]])
            }
            return input.appendingUnitAxis
        }
    }
}

extension Shape {
    /// The shape with its largest extents lowered until it has at most `limit` elements.
    func limited(to limit: Int) -> Shape {
        var dims = self.dims
        while dims.reduce(1, *) > limit, let largest = dims.indices.max(by: { dims[$0] < dims[$1] }) {
            dims[largest] -= 1
        }
        return Shape(dims)
    }

    /// The element count, 0 when the shape is invalid.
    var count: Int { (try? elementCount()) ?? 0 }
}

/// Broadcasting maps between shapes, for relations that sum a broadcast output back to an operand.
enum BroadcastMap {
    /// For each element of `result`, the element of `operand` it reads (NumPy alignment from the right).
    static func offsets(operand: Shape, result: Shape) -> [Int] {
        let count = result.count
        let lead = result.rank - operand.rank
        let strides = operand.contiguousStrides
        let resultStrides = result.contiguousStrides
        return (0..<count).map { flat in
            var offset = 0
            for axis in 0..<operand.rank where operand.dims[axis] != 1 {
                let coordinate = (flat / resultStrides[lead + axis]) % result.dims[lead + axis]
                offset += coordinate * strides[axis]
            }
            return offset
        }
    }

    /// For each element of `operand`, the elements of `result` that read it.
    static func groups(operand: Shape, result: Shape) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: operand.count)
        for (position, offset) in offsets(operand: operand, result: result).enumerated() {
            groups[offset].append(position)
        }
        return groups
    }

    /// The values of `operand` expanded to `result`.
    static func expand(_ values: [Double], operand: Shape, result: Shape) -> [Double] {
        offsets(operand: operand, result: result).map { values[$0] }
    }
}
