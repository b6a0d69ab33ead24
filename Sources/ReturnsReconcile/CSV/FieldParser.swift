import ReturnsCore

/// Turns a CSV field's bytes into checked values, refusing with the file, line, column and what to do.
/// Byte-level for the same reason as `CSVReader`: these run once per field on millions of lines.
struct FieldParser {
    let reader: CSVReader
    private var currencies: [UInt32: Currency] = [:]

    init(reader: CSVReader) {
        self.reader = reader
    }

    func fail(_ column: Int, _ reason: String) -> ReconcileError {
        .badRow(file: reader.file, line: reader.line, column: column + 1, reason: reason)
    }

    /// The field without surrounding spaces and tabs.
    func trimmed(_ column: Int) -> Range<Int> {
        var range = reader.range(column)
        let bytes = reader.bytes
        while range.lowerBound < range.upperBound, bytes[range.lowerBound] == 0x20 || bytes[range.lowerBound] == 0x09 {
            range = (range.lowerBound + 1)..<range.upperBound
        }
        while range.lowerBound < range.upperBound,
            bytes[range.upperBound - 1] == 0x20 || bytes[range.upperBound - 1] == 0x09
        {
            range = range.lowerBound..<(range.upperBound - 1)
        }
        return range
    }

    func text(_ column: Int) -> String {
        String(decoding: reader.bytes[trimmed(column)], as: UTF8.self)
    }

    func isEmpty(_ column: Int) -> Bool { trimmed(column).isEmpty }

    /// A whole number of items, 0 or more.
    func quantity(_ column: Int, name: String) throws(ReconcileError) -> Int {
        let range = trimmed(column)
        let bytes = reader.bytes
        guard !range.isEmpty else { throw fail(column, "\(name) is empty; give a whole number, 0 or more") }
        if bytes[range.lowerBound] == 0x2D {
            throw fail(column, "\(name) '\(text(column))' is negative; give a whole number, 0 or more")
        }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39, value < 100_000_000 else {
                throw fail(column, "\(name) '\(text(column))' is not a whole number; give one like 2")
            }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// An ISO 4217 code in any letter case.
    mutating func currency(_ column: Int, name: String) throws(ReconcileError) -> Currency {
        let range = trimmed(column)
        let bytes = reader.bytes
        if range.count == 3 {
            let key =
                UInt32(bytes[range.lowerBound] | 0x20) << 16 | UInt32(bytes[range.lowerBound + 1] | 0x20) << 8
                | UInt32(bytes[range.lowerBound + 2] | 0x20)
            if let known = currencies[key] { return known }
            if let found = try? Currency(code: text(column)) {
                currencies[key] = found
                return found
            }
        }
        throw fail(
            column, "\(name) '\(text(column))' is not an ISO 4217 currency code this engine knows (like EUR, USD, JPY)")
    }

    /// A decimal amount in `currency`'s minor units, exact; no more decimals than the currency has.
    func amount(_ column: Int, name: String, currency: Currency) throws(ReconcileError) -> Int64 {
        let range = trimmed(column)
        let bytes = reader.bytes
        var index = range.lowerBound
        var negative = false
        if index < range.upperBound && (bytes[index] == 0x2D || bytes[index] == 0x2B) {
            negative = bytes[index] == 0x2D
            index += 1
        }
        var value: Int64 = 0
        var wholeDigits = 0
        var fractionDigits = 0
        var seenPoint = false
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == 0x2E && !seenPoint {
                seenPoint = true
            } else if byte >= 0x30 && byte <= 0x39 {
                if seenPoint { fractionDigits += 1 } else { wholeDigits += 1 }
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int64(byte - 0x30))
                guard !o1 && !o2 else { throw fail(column, "\(name) '\(text(column))' is too large") }
                value = sum
            } else {
                throw fail(column, "\(name) '\(text(column))' is not a decimal amount; write it like 19.99")
            }
            index += 1
        }
        guard wholeDigits > 0, !seenPoint || fractionDigits > 0 else {
            throw fail(column, "\(name) '\(text(column))' is not a decimal amount; write it like 19.99")
        }
        guard fractionDigits <= currency.exponent else {
            let allowed =
                currency.exponent == 0
                ? "has no decimals" : "has \(currency.exponent) decimal\(currency.exponent == 1 ? "" : "s")"
            throw fail(
                column,
                "\(name) '\(text(column))' has \(fractionDigits) decimal\(fractionDigits == 1 ? "" : "s"), but \(currency.code) \(allowed)"
            )
        }
        for _ in fractionDigits..<currency.exponent {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw fail(column, "\(name) '\(text(column))' is too large") }
            value = times
        }
        return negative ? -value : value
    }

    /// A date or date and time: `2025-11-03`, `2025-11-03T14:05:00Z`, `2025-11-03 14:05:00`, with an optional
    /// fraction and offset (`+01:00`). Without an offset it is UTC. Returns the range of the field to pass on.
    func timestamp(_ column: Int, name: String) throws(ReconcileError) -> Range<Int> {
        let range = trimmed(column)
        let b = reader.bytes
        var i = range.lowerBound
        let end = range.upperBound
        func digits(_ n: Int) -> Int? {
            guard i + n <= end else { return nil }
            var value = 0
            for k in i..<(i + n) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                value = value * 10 + Int(b[k] - 0x30)
            }
            i += n
            return value
        }
        func byte(_ expected: UInt8) -> Bool {
            guard i < end, b[i] == expected else { return false }
            i += 1
            return true
        }
        let bad = fail(
            column,
            "\(name) '\(text(column))' is not a timestamp; write it like 2025-11-03T14:05:00Z (ISO 8601, UTC unless an offset is given)"
        )
        guard let year = digits(4), byte(0x2D), let month = digits(2), byte(0x2D), let day = digits(2) else {
            throw bad
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard year >= 1970, (1...12).contains(month), (1...monthDays[month - 1]).contains(day) else { throw bad }
        if i == end { return range }
        guard byte(0x54) || byte(0x20) || byte(0x74) else { throw bad }
        guard let hour = digits(2), hour < 24, byte(0x3A), let minute = digits(2), minute < 60 else { throw bad }
        if byte(0x3A) {
            guard let second = digits(2), second < 60 else { throw bad }
            if byte(0x2E) {
                var fraction = 0
                while i < end, b[i] >= 0x30 && b[i] <= 0x39 {
                    i += 1
                    fraction += 1
                }
                guard fraction > 0 else { throw bad }
            }
        }
        if i == end || byte(0x5A) || byte(0x7A) {
            guard i == end else { throw bad }
            return range
        }
        guard byte(0x2B) || byte(0x2D), let offsetHours = digits(2), offsetHours <= 14 else { throw bad }
        _ = byte(0x3A)
        if i < end { guard let offsetMinutes = digits(2), offsetMinutes < 60 else { throw bad } }
        guard i == end else { throw bad }
        return range
    }

    /// Whether the field spells a UUID (any case).
    func isUUID(_ range: Range<Int>) -> Bool {
        guard range.count == 36 else { return false }
        let b = reader.bytes
        for (offset, index) in range.enumerated() {
            let c = b[index]
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard c == 0x2D else { return false }
            } else {
                guard (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x66) else { return false }
            }
        }
        return true
    }
}
