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
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            throw EngineError.invalidInput(field: "cursor", reason: "not a cursor this service gave out; start without one")
        }
        self.init(micros: micros, id: id)
    }

    var text: String { "\(micros)_\(id.uuidString.lowercased())" }
}
