/// A Code 128 barcode (ISO/IEC 15417) of printable ASCII, in code set B: the symbols, their bar widths and an SVG
/// drawing that carriers' and partners' scanners read from a printed page.
public struct Code128: Sendable, Hashable {
    /// The symbol values: start B, one per character, the check symbol, stop.
    public let symbols: [Int]

    /// Nil when `text` is empty or has a character outside printable ASCII (space to `~`).
    public init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        var symbols = [Self.startB]
        for scalar in text.unicodeScalars {
            guard (32...126).contains(scalar.value) else { return nil }
            symbols.append(Int(scalar.value) - 32)
        }
        // The check symbol: the start's value plus each symbol's value times its position, modulo 103.
        let weighted = symbols.enumerated().dropFirst().reduce(symbols[0]) { $0 + $1.offset * $1.element }
        symbols.append(weighted % 103)
        symbols.append(Self.stop)
        self.symbols = symbols
    }

    /// Widths in modules, alternating bar and space and starting with a bar.
    public var widths: [Int] { symbols.flatMap { Self.patterns[$0].map { Int(String($0))! } } }

    /// An SVG of the bars with a quiet zone of ten modules each side, `height` modules tall; `label` names it for
    /// screen readers.
    public func svg(height: Int = 40, label: String) -> String {
        let quiet = 10
        var x = quiet
        var bars = ""
        for (index, width) in widths.enumerated() {
            if index % 2 == 0 { bars += "M\(x) 0h\(width)v\(height)h-\(width)z" }
            x += width
        }
        let total = x + quiet
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="barcode" viewBox="0 0 \(total) \(height)" \
            width="\(total * 2)" height="\(height * 2)" role="img" aria-label="\(HTMLText.escape(label))" \
            shape-rendering="crispEdges"><rect width="\(total)" height="\(height)" fill="#fff"/>\
            <path d="\(bars)" fill="#000"/></svg>
            """
    }

    static let startB = 104
    static let stop = 106

    /// Bar and space widths of each symbol value, 0 to 106 (106, the stop, has a seventh element).
    static let patterns = [
        "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
        "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
        "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
        "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
        "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
        "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
        "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
        "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
        "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
        "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
        "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
    ]
}
