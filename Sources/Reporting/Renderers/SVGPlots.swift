internal import Conformance
internal import Foundation

/// Inline SVG charts for the HTML report: no scripts, no external fonts; `<title>` elements give tooltips.
enum SVGPlots {
    // MARK: Histogram of |error| / bound

    /// A bar chart of a ``RatioHistogram``: exact results, the twenty power-of-two bins up to the bound,
    /// the bound at 1 marked, then the failures (ratio above 1, and NaN or infinite ratios). Counts are on a
    /// log scale, so that a single failure among thousands of cases still shows.
    static func histogram(_ histogram: RatioHistogram, dtype: String) -> String {
        let width = 540.0
        let height = 250.0
        let left = 56.0
        let right = width - 14
        let top = 26.0
        let bottom = 190.0
        // Slots: bin 0, a gap, bins 1…20, a gap for the bound, bin 21, a small gap, bin 22.
        let gap = 0.7
        let slots = 1 + gap + 20 + gap + 1 + 0.35 + 1
        let slot = (right - left) / slots
        func slotStart(_ bin: Int) -> Double {
            switch bin {
            case 0: left
            case 1...20: left + slot * (1 + gap + Double(bin - 1))
            case 21: left + slot * (1 + gap + 20 + gap)
            default: left + slot * (1 + gap + 20 + gap + 1 + 0.35)
            }
        }
        let boundX = slotStart(20) + slot + slot * gap / 2
        let counts = (0..<RatioHistogram.binCount).map { $0 < histogram.counts.count ? histogram.counts[$0] : 0 }
        let largest = max(counts.max() ?? 0, 1)
        var decade = 1
        while decade < largest { decade *= 10 }
        let scaleTop = log10(1 + Double(decade))
        func y(_ count: Int) -> Double { bottom - (bottom - top) * log10(1 + Double(count)) / scaleTop }

        var svg = svgOpen(width: width, height: height, label: "Histogram of error relative to bound, \(dtype)")
        // The failure region, shaded.
        svg += rect(x: boundX, y: top, width: right - boundX + 4, height: bottom - top, fill: "#fdecec")
        // Horizontal grid lines and count ticks at 0, 1, 10, 100, …
        var tick = 0
        while tick <= decade {
            let ty = y(tick)
            svg += line(x1: left - 4, y1: ty, x2: right, y2: ty, stroke: tick == 0 ? "#475569" : "#e2e8f0")
            svg += text(x: left - 7, y: ty + 3.5, anchor: "end", size: 10, fill: "#475569", compact(tick))
            tick = tick == 0 ? 1 : tick * 10
        }
        // Bars.
        for bin in 0..<RatioHistogram.binCount where counts[bin] > 0 {
            let x = slotStart(bin) + slot * 0.1
            let barTop = y(counts[bin])
            let fill =
                switch bin {
                case 0: "#0d9488"
                case 21: "#dc2626"
                case 22: "#7f1d1d"
                default: "#2563eb"
                }
            svg += "<rect x=\"\(f(x))\" y=\"\(f(barTop))\" width=\"\(f(slot * 0.8))\" height=\"\(f(bottom - barTop))\""
            svg += " fill=\"\(fill)\"><title>\(Markup.xml(binName(bin))): \(counts[bin]) case"
            svg += "\(counts[bin] == 1 ? "" : "s")</title></rect>\n"
            let labelColor = bin >= 21 ? "#b91c1c" : "#1e293b"
            svg += text(
                x: x + slot * 0.4, y: barTop - 3, anchor: "middle", size: 8.5, fill: labelColor,
                weight: bin >= 21 ? "bold" : nil, compact(counts[bin]))
        }
        // The bound.
        svg += "<line x1=\"\(f(boundX))\" y1=\"\(f(top - 10))\" x2=\"\(f(boundX))\" y2=\"\(f(bottom + 4))\""
        svg += " stroke=\"#dc2626\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n"
        svg += text(x: boundX - 4, y: top - 13, anchor: "end", size: 10, fill: "#b91c1c", weight: "bold", "bound")
        svg += text(x: boundX + 4, y: top - 13, anchor: "start", size: 10, fill: "#b91c1c", "failures →")
        // The x axis: a tick at every bin edge, labels at 0, 2^-15, 2^-10, 2^-5 and 1.
        for bin in 1...20 {
            let edge = slotStart(bin) + slot
            svg += line(x1: edge, y1: bottom, x2: edge, y2: bottom + (bin % 5 == 0 ? 5 : 3), stroke: "#475569")
        }
        svg += text(x: slotStart(0) + slot / 2, y: bottom + 16, anchor: "middle", size: 10, fill: "#1e293b", "0")
        svg += text(x: slotStart(0) + slot / 2, y: bottom + 28, anchor: "middle", size: 9, fill: "#64748b", "exact")
        for exponent in [-15, -10, -5] {
            svg += power(x: slotStart(exponent + 20) + slot, y: bottom + 16, exponent: exponent)
        }
        svg += text(x: boundX, y: bottom + 16, anchor: "middle", size: 10, fill: "#b91c1c", weight: "bold", "1")
        svg += text(x: slotStart(21) + slot / 2, y: bottom + 16, anchor: "middle", size: 10, fill: "#b91c1c", ">1")
        svg += text(
            x: slotStart(22) + slot / 2 + 2, y: bottom + 16, anchor: "middle", size: 10, fill: "#7f1d1d", "NaN")
        svg += text(
            x: (left + boundX) / 2, y: bottom + 44, anchor: "middle", size: 11, fill: "#334155",
            "|error| / bound, worst output of each case (powers of two)")
        let midY = (top + bottom) / 2
        svg += "<text x=\"14\" y=\"\(f(midY))\" transform=\"rotate(-90 14 \(f(midY)))\" text-anchor=\"middle\""
        svg += " font-size=\"11\" fill=\"#334155\">cases (log scale)</text>\n"
        svg += "</svg>\n"
        return svg
    }

    /// What a bin counts, for tooltips.
    static func binName(_ bin: Int) -> String {
        switch bin {
        case 0: "exact (ratio 0)"
        case 1: "ratio in (0, 2^-19]"
        case 2...20: "ratio in (2^\(bin - 21), 2^\(bin - 20)]"
        case 21: "ratio above 1: over the bound"
        default: "NaN or infinite ratio: a value of the wrong class"
        }
    }

    // MARK: Worst checks

    /// One bar of the worst-checks chart.
    struct Worst {
        var id: String
        /// The largest finite ratio.
        var ratio: Double
        /// Cases over the bound, and cases with a NaN or infinite ratio.
        var over: Int
        var nonFinite: Int
        var cases: Int
        var failing: Bool { over > 0 || nonFinite > 0 }
    }

    /// The checks with the largest ratio for a dtype, and every failing one, worst first.
    static func worst(_ checks: [CheckResult], dtype: String, limit: Int = 8) -> [Worst] {
        let all = checks.compactMap { check -> Worst? in
            guard let histogram = check.ratioHistograms[dtype] else { return nil }
            let counts = histogram.counts
            return Worst(
                id: check.id, ratio: histogram.maximum, over: counts.count > 21 ? counts[21] : 0,
                nonFinite: counts.count > 22 ? counts[22] : 0, cases: counts.reduce(0, +))
        }
        let sorted = all.sorted { a, b in
            if (a.nonFinite > 0) != (b.nonFinite > 0) { return a.nonFinite > 0 }
            return a.ratio != b.ratio ? a.ratio > b.ratio : a.id < b.id
        }
        return sorted.enumerated().filter { $0.offset < limit || $0.element.failing }.map(\.element)
    }

    /// Horizontal bars of each check's largest |error| / bound on a log scale from 2^-20 to 2^8, with the
    /// bound at 1 marked; NaN or infinite ratios fill the row in dark red.
    static func worstChecks(_ rows: [Worst], dtype: String) -> String {
        let width = 540.0
        let labelWidth = 200.0
        let left = labelWidth + 8
        let right = width - 72
        let top = 34.0
        let rowHeight = 21.0
        let height = top + rowHeight * Double(rows.count) + 30
        let (low, high) = (-20.0, 8.0)
        func x(_ ratio: Double) -> Double {
            let exponent = ratio > 0 ? min(max(log2(ratio), low), high) : low
            return left + (right - left) * (exponent - low) / (high - low)
        }
        var svg = svgOpen(width: width, height: height, label: "Worst checks for \(dtype)")
        let bottom = top + rowHeight * Double(rows.count)
        svg += rect(x: x(1), y: top - 4, width: right - x(1), height: bottom - top + 8, fill: "#fdecec")
        for exponent in stride(from: -20, through: 5, by: 5) {
            let tx = x(pow(2, Double(exponent)))
            svg += line(x1: tx, y1: top - 4, x2: tx, y2: bottom + 4, stroke: exponent == 0 ? "#dc2626" : "#e2e8f0")
            if exponent == 0 {
                svg += text(
                    x: tx, y: top - 10, anchor: "middle", size: 10, fill: "#b91c1c", weight: "bold", "1 = bound")
            } else {
                svg += power(x: tx, y: top - 10, exponent: exponent)
            }
        }
        for (row, worst) in rows.enumerated() {
            let rowTop = top + rowHeight * Double(row)
            let centre = rowTop + rowHeight / 2
            let label = worst.id.count > 30 ? String(worst.id.prefix(29)) + "…" : worst.id
            svg += "<text x=\"\(f(labelWidth))\" y=\"\(f(centre + 4))\" text-anchor=\"end\" font-size=\"11\""
            svg += " font-family=\"DejaVu Sans Mono, Liberation Mono, monospace\""
            svg += " fill=\"\(worst.failing ? "#b91c1c" : "#1e293b")\"><title>\(Markup.xml(worst.id))</title>"
            svg += "\(Markup.xml(label))</text>\n"
            var tooltip = "\(worst.id): largest finite ratio \(Numbers.ratio(worst.ratio)) over \(worst.cases) cases"
            if worst.over > 0 { tooltip += "; \(worst.over) over the bound" }
            if worst.nonFinite > 0 { tooltip += "; \(worst.nonFinite) NaN or infinite" }
            let end = worst.nonFinite > 0 ? right : max(x(worst.ratio), left + 1.5)
            let fill = worst.nonFinite > 0 ? "#7f1d1d" : (worst.ratio > 1 ? "#dc2626" : "#2563eb")
            svg += "<rect x=\"\(f(left))\" y=\"\(f(rowTop + 4))\" width=\"\(f(end - left))\""
            svg += " height=\"\(f(rowHeight - 8))\" fill=\"\(fill)\" rx=\"2\">"
            svg += "<title>\(Markup.xml(tooltip))</title></rect>\n"
            let clipped = worst.ratio > 256 ? " »" : ""
            let value =
                worst.nonFinite > 0 ? "NaN/∞" : (worst.ratio == 0 ? "exact" : Numbers.ratio(worst.ratio) + clipped)
            svg += text(
                x: end + 4, y: centre + 4, anchor: "start", size: 10, fill: worst.failing ? "#b91c1c" : "#334155",
                weight: worst.failing ? "bold" : nil, value)
        }
        svg += text(
            x: (left + right) / 2, y: bottom + 22, anchor: "middle", size: 11, fill: "#334155",
            "largest |error| / bound of the check's \(dtype) cases")
        svg += "</svg>\n"
        return svg
    }

    // MARK: Pieces

    private static func svgOpen(width: Double, height: Double, label: String) -> String {
        "<svg viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\""
            + " aria-label=\"\(Markup.xml(label, attribute: true))\" font-family=\"DejaVu Sans, Liberation Sans,"
            + " Arial, sans-serif\">\n<title>\(Markup.xml(label))</title>\n"
    }

    private static func rect(x: Double, y: Double, width: Double, height: Double, fill: String) -> String {
        "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"\(fill)\"/>\n"
    }

    private static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"/>\n"
    }

    private static func text(
        x: Double, y: Double, anchor: String, size: Double, fill: String, weight: String? = nil, _ content: String
    ) -> String {
        let bold = weight.map { " font-weight=\"\($0)\"" } ?? ""
        return "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(f(size))\""
            + " fill=\"\(fill)\"\(bold)>\(Markup.xml(content))</text>\n"
    }

    /// `2` with a raised exponent.
    private static func power(x: Double, y: Double, exponent: Int) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#1e293b\">2<tspan"
            + " dy=\"-5\" font-size=\"8\">\(exponent < 0 ? "−" : "")\(abs(exponent))</tspan></text>\n"
    }

    /// A count in at most four characters: 999, 1.2k, 12k, 1.2M.
    static func compact(_ count: Int) -> String {
        switch count {
        case ..<1000: "\(count)"
        case ..<10_000: String(format: "%.1fk", Double(count) / 1000)
        case ..<1_000_000: "\(count / 1000)k"
        default: String(format: "%.1fM", Double(count) / 1_000_000)
        }
    }

    /// A coordinate with at most two decimals.
    static func f(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
