import ReturnsCore
import Testing

/// Every scalar that joins a neighbour into one grapheme cluster: combining marks (Mn, Mc, Me) and the prefixes
/// that attach to what follows (U+0600-0605, U+06DD, U+070F, U+08E2, U+110BD, U+110CD, U+0D4E).
let clusterJoiners: [Unicode.Scalar] = {
    var scalars: [Unicode.Scalar] = []
    for value in 0...0x10FFFF {
        guard let scalar = Unicode.Scalar(value) else { continue }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: scalars.append(scalar)
        default: break
        }
    }
    let prefixes: [UInt32] = [0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6DD, 0x70F, 0x8E2, 0xD4E, 0x110BD, 0x110CD]
    return scalars + prefixes.compactMap(Unicode.Scalar.init)
}()

/// True when `html` shows no markup of its own: none of < > " ' as a scalar, and every & starts an entity.
func isInert(_ html: String) -> Bool {
    let scalars = Array(html.unicodeScalars)
    for (index, scalar) in scalars.enumerated() {
        if "<>\"'".unicodeScalars.contains(scalar) { return false }
        if scalar == "&" {
            // Compared as scalars: as Characters, "&lt;" followed by a combining mark would not match "&lt;".
            let rest = scalars[index...]
            guard ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(where: { rest.starts(with: $0.unicodeScalars) })
            else { return false }
        }
    }
    return true
}

@Suite("HTML escaping")
struct HTMLTextTests {
    @Test("the status page's attack: a link hidden behind U+0600 is shown as text")
    func prefixedLink() {
        let attack = "\u{0600}<a href=https://evil.example/\u{0600}>Claim refund\u{0600}</a \u{0600}>"
        let escaped = HTMLText.escape(attack)
        #expect(isInert(escaped))
        #expect(escaped.contains("&lt;a href=https://evil.example/"))
    }

    @Test("every combining mark and prefix before and after each of < > & \" ' is escaped", arguments: ["<", ">", "&", "\"", "'"])
    func everyJoiner(special: String) {
        #expect(clusterJoiners.count > 2_000)
        var failures: [String] = []
        for joiner in clusterJoiners {
            let mark = String(Character(joiner))
            for text in [mark + special, special + mark, "a" + mark + special + mark + "b"] where !isInert(HTMLText.escape(text)) {
                failures.append("U+\(String(joiner.value, radix: 16, uppercase: true))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) not escaped, first next to \(failures.prefix(5))")
    }

    @Test("text without markup is left as it is, scalar for scalar")
    func plainText() {
        let text = "Zoë’s order Nº 12 — 東京 \u{0301}e\u{0300}"
        #expect(HTMLText.escape(text).unicodeScalars.elementsEqual(text.unicodeScalars))
    }
}
