/// Escaping for HTML text and attribute values.
///
/// It works on Unicode scalars, never on `Character`s: a grapheme cluster can hold `<` together with a prefix or a
/// combining mark (U+0600 followed by `<` is one `Character`), and comparing Characters would let that `<` through.
public enum HTMLText {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, whatever scalars surround them.
    public static func escape(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        escaped.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
