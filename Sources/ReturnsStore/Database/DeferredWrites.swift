import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Writes of a transaction that nothing in it reads back before it commits: a return's new state and version, its
/// history line, its queued notifications and their wake-up, its timers, an idempotency key's answer. Inside a
/// transaction (`Database.transaction`) they are held and sent as one statement (`returns_apply_writes`, Schema
/// 017) just before the transaction's next statement or its COMMIT, in the order they were made; so a
/// transition's five to nine writes cost one round trip, and everything sent after them still sees them. On a
/// connection outside a transaction each is sent at once, as a statement of its own.
///
/// A held write's error (a constraint) surfaces from the statement it goes out before, and the transaction rolls
/// back as it would have; a rollback (of the transaction or of a savepoint) drops what is held, never sends it.
final class DeferredWrites: Sendable {
    private let held = Mutex<[String]>([])

    func hold(_ write: DeferredWrite) {
        held.withLock { $0.append(write.json) }
    }

    /// What is held, as the JSON array `returns_apply_writes` takes; nil when nothing is. Nothing is held after.
    func take() -> String? {
        held.withLock { writes in
            guard !writes.isEmpty else { return nil }
            defer { writes.removeAll(keepingCapacity: true) }
            return "[" + writes.joined(separator: ",") + "]"
        }
    }

    func drop() {
        held.withLock { $0.removeAll() }
    }
}

/// One write `returns_apply_writes` knows, as its JSON object: `op` names it, the other members are its values.
struct DeferredWrite: Sendable {
    private(set) var json: String

    init(_ op: String) {
        json = "{\"op\":"
        json.append(Self.quoted(op))
    }

    func with(_ name: String, _ value: String?) -> DeferredWrite {
        with(name, json: value.map(Self.quoted) ?? "null")
    }

    func with(_ name: String, _ value: UUID?) -> DeferredWrite {
        with(name, value?.uuidString.lowercased())
    }

    func with(_ name: String, _ value: Int) -> DeferredWrite {
        with(name, json: String(value))
    }

    /// `value` as PostgreSQL stores a timestamptz: whole microseconds since 2000-01-01 UTC, cut the way postgres-nio
    /// cuts a `Date` it binds, so a timer armed here falls due at the same microsecond as one bound directly.
    func with(_ name: String, _ value: Date?) -> DeferredWrite {
        with(name, json: value.map { String(Int64($0.timeIntervalSince(Self.postgresEpoch) * 1_000_000)) } ?? "null")
    }

    /// `text` is JSON already (a history line's data, a payload, a recorded answer) and goes in as it is.
    func with(_ name: String, json text: String) -> DeferredWrite {
        var write = self
        write.json.append(",")
        write.json.append(Self.quoted(name))
        write.json.append(":")
        write.json.append(text)
        return write
    }

    func closed() -> DeferredWrite {
        var write = self
        write.json.append("}")
        return write
    }

    private static let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    /// A JSON string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                out.append("\\u00")
                out.append(scalar.value < 0x10 ? "0" : "1")
                out.append(String(scalar.value & 0xF, radix: 16))
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
        return out
    }
}

extension DatabaseConnection {
    /// Holds `write` until the transaction's next statement, or sends it now outside a transaction.
    func write(_ write: DeferredWrite, logger: Logger) async throws {
        let write = write.closed()
        if let deferred {
            deferred.hold(write)
        } else {
            try await send(writesJSON: "[\(write.json)]", logger: logger)
        }
    }

    /// Sends what is held, before a statement that must come after it.
    func sendHeldWrites(logger: Logger) async throws {
        guard let writes = deferred?.take() else { return }
        try await send(writesJSON: writes, logger: logger)
    }

    /// Beside the held writes, since it sends them (taken already, or never held).
    private func send(writesJSON: String, logger: Logger) async throws {
        try await run("SELECT returns_apply_writes(\(writesJSON)::jsonb)", besideHeldWrites: true, logger: logger)
    }
}
