/// A field of a CSV file this program writes for people to open in a spreadsheet, per RFC 4180 and OWASP's CSV
/// injection guidance. It works on Unicode scalars: as Characters, a comma or line break followed by a combining
/// mark is another character, and would be written unquoted, adding columns and rows.
public enum CSVField {
    /// Text from outside (a SKU, a reference, a key): a leading `=`, `+`, `-`, `@`, tab or CR, which a spreadsheet
    /// would run as a formula, gets a `'` in front; a field holding a comma, quote, CR or LF is quoted.
    public static func text(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        return quoted(value)
    }

    /// A value this program formatted itself (an id, an amount, a date): quoted if it must be, never altered, so
    /// "-1.00" stays a number.
    public static func quoted(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { ",\"\r\n".unicodeScalars.contains($0) }) else { return value }
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in value.unicodeScalars {
            if scalar == "\"" { out.append("\"") }
            out.append(scalar)
        }
        out.append("\"")
        return String(out)
    }
}
