import Foundation

/// A position in a keyset-paged list: the last row's timestamp (microseconds since 1970) and id, as an opaque
/// string.
struct PageCursor {
    var micros: Int64
    var id: UUID

    init(micros: Int64, id: UUID) {
        self.micros = micros
        self.id = id
    }

    init(text: String) throws {
        let parts = text.split(separator: "_")
        // Microseconds from 1970 to the end of year 9999: every position a row of ours can have.
        guard parts.count == 2, let micros = Int64(parts[0]), (0...253_402_300_799_999_999).contains(micros),
            let id = UUID(uuidString: String(parts[1]))
        else {
            throw EngineError.invalidInput(field: "cursor", reason: "not a cursor this service gave out; start without one")
        }
        self.init(micros: micros, id: id)
    }

    /// The position of a row with this timestamp and id. PostgreSQL keeps microseconds; a Date holds them
    /// exactly enough (a Double near 1.8e15 microseconds is off by well under one), so rounding gives them back.
    init(at date: Date, id: UUID) {
        self.init(micros: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()), id: id)
    }

    var text: String { "\(micros)_\(id.uuidString.lowercased())" }
}

extension PageCursor {
    /// The position after which a page starts, from the previous page's cursor (nil: from the beginning).
    static func position(after cursor: String?) throws -> (micros: Int64, id: UUID)? {
        try cursor.map { try PageCursor(text: $0) }.map { ($0.micros, $0.id) }
    }

    /// The first `limit` of `rows`, fetched as `limit + 1`, and the cursor after them when more follow.
    static func page<Row>(_ rows: [Row], limit: Int, at position: (Row) -> (Date, UUID)) -> ([Row], String?) {
        let shown = Array(rows.prefix(limit))
        guard rows.count > limit, let last = shown.last else { return (shown, nil) }
        let (date, id) = position(last)
        return (shown, PageCursor(at: date, id: id).text)
    }
}
