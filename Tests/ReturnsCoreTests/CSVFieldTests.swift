import ReturnsCore
import Testing

/// Splits one CSV record per RFC 4180, on scalars, as a spreadsheet or a strict reader does.
func parseRecord(_ line: String) -> [String] {
    var fields: [String] = []
    var field = String.UnicodeScalarView()
    var quoted = false
    var scalars = Array(line.unicodeScalars)[...]
    while let scalar = scalars.popFirst() {
        if quoted {
            if scalar == "\"" {
                if scalars.first == "\"" { field.append(scalars.removeFirst()) } else { quoted = false }
            } else {
                field.append(scalar)
            }
        } else if scalar == "\"" {
            quoted = true
        } else if scalar == "," {
            fields.append(String(field))
            field = String.UnicodeScalarView()
        } else {
            field.append(scalar)
        }
    }
    fields.append(String(field))
    return fields
}

@Suite("CSV fields")
struct CSVFieldTests {
    @Test("a field that a spreadsheet would run as a formula is neutralised", arguments: [
        "=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
    ])
    func formulas(value: String) {
        let written = CSVField.text(value)
        #expect(parseRecord(written) == ["'" + value])
    }

    @Test("every combining mark after , \" CR and LF stays inside its one field", arguments: [",", "\"", "\r", "\n"])
    func joinersStayInTheirField(special: String) {
        var failures: [String] = []
        for value in 0x300...0x36F {
            let mark = String(Unicode.Scalar(value)!)
            for text in [special + mark, "a" + special + mark + "b", mark + special] {
                let written = CSVField.text(text) + "," + CSVField.quoted("next")
                let scalars = written.unicodeScalars
                // A line break outside quotes would end the record: the whole text must be one quoted field.
                // A leading CR is neutralised like a formula character.
                let expected = text.unicodeScalars.first == "\r" ? "'" + text : text
                if parseRecord(written) != [expected, "next"] || !scalars.starts(with: "\"".unicodeScalars) {
                    failures.append("U+\(String(value, radix: 16))")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) split, first \(failures.prefix(5))")
    }

    @Test("values this program formats are quoted only when they must be, and never altered")
    func formatted() {
        #expect(CSVField.quoted("-1.00") == "-1.00")
        #expect(CSVField.quoted("a,b") == "\"a,b\"")
        #expect(CSVField.quoted("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}
