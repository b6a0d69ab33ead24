/// Splits a migration file into statements, since the extended query protocol runs one statement at a time.
/// Understands quotes, quoted identifiers, dollar-quoted bodies and both comment styles.
public enum SQLScript {
    public static func statements(in sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let chars = Array(sql)
        var index = 0
        func flush() {
            let trimmed = current.trimmingWhitespace()
            if !trimmed.isEmpty { statements.append(trimmed) }
            current = ""
        }
        while index < chars.count {
            let char = chars[index]
            let next: Character? = index + 1 < chars.count ? chars[index + 1] : nil
            if char == "-" && next == "-" {
                while index < chars.count && chars[index] != "\n" { index += 1 }
                continue
            }
            if char == "/" && next == "*" {
                index += 2
                while index + 1 < chars.count && !(chars[index] == "*" && chars[index + 1] == "/") { index += 1 }
                index += 2
                continue
            }
            if char == "'" || char == "\"" {
                current.append(char)
                index += 1
                while index < chars.count {
                    current.append(chars[index])
                    if chars[index] == char {
                        if index + 1 < chars.count && chars[index + 1] == char {
                            current.append(chars[index + 1])
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
                continue
            }
            if char == "$", let tag = dollarTag(chars, at: index) {
                current += tag
                index += tag.count
                while index < chars.count {
                    if chars[index] == "$" && String(chars[index..<min(index + tag.count, chars.count)]) == tag {
                        current += tag
                        index += tag.count
                        break
                    }
                    current.append(chars[index])
                    index += 1
                }
                continue
            }
            if char == ";" {
                flush()
                index += 1
                continue
            }
            current.append(char)
            index += 1
        }
        flush()
        return statements
    }

    /// `$$` or `$name$` starting at `index`, if one does.
    private static func dollarTag(_ chars: [Character], at index: Int) -> String? {
        var end = index + 1
        while end < chars.count, chars[end] == "_" || chars[end].isLetter || (end > index + 1 && chars[end].isNumber) {
            end += 1
        }
        guard end < chars.count, chars[end] == "$" else { return nil }
        return String(chars[index...end])
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view = view.dropFirst() }
        while view.last?.isWhitespace == true { view = view.dropLast() }
        return String(view)
    }
}
