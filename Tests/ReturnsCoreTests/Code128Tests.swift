@testable import ReturnsCore
import Testing

@Suite("Code 128 barcodes")
struct Code128Tests {
    @Test("ABC is start B, the three characters, check symbol 1 and stop: (104 + 1×33 + 2×34 + 3×35) mod 103 = 1")
    func checkSymbol() throws {
        let code = try #require(Code128("ABC"))
        #expect(code.symbols == [104, 33, 34, 35, 1, 106])
        // Every symbol is 11 modules wide, the stop 13; bars and spaces alternate from a bar.
        #expect(code.widths.reduce(0, +) == 11 * 5 + 13)
        #expect(code.widths.count == 6 * 5 + 7)
    }

    @Test("the table has 107 distinct patterns of 11 modules (the stop 13); text outside printable ASCII has no barcode")
    func table() {
        #expect(Code128.patterns.count == 107)
        #expect(Set(Code128.patterns).count == 107)
        #expect(Code128.patterns.dropLast().allSatisfy { $0.count == 6 && $0.reduce(0) { $0 + Int(String($1))! } == 11 })
        #expect(Code128("é") == nil && Code128("") == nil && Code128("a\u{7}") == nil)
        let svg = Code128("42")!.svg(label: "ref <42>")
        #expect(svg.hasPrefix("<svg") && svg.contains("aria-label=\"ref &lt;42&gt;\"") && svg.contains("role=\"img\""))
    }
}
