import Foundation
import Logging
import PostgresNIO

/// The SQL of timers: armed and cancelled by transitions, claimed by the timer worker.
public struct TimerRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Arms `name` to fall due `seconds` after `base` (the database clock when nil), replacing a pending timer of
    /// the same name.
    public func armTimer(
        _ id: UUID, name: String, event: String, state: String, seq: Int, seconds: Int, base: Date?,
        on connection: DatabaseConnection
    ) async throws {
        // The write cancels the pending timer of that name first.
        try await connection.write(
            DeferredWrite("timer").with("return", id).with("name", name).with("event", event).with("state", state)
                .with("seq", seq).with("base", base).with("seconds", seconds), logger: logger)
    }

    public func cancelTimer(_ id: UUID, name: String, on connection: DatabaseConnection) async throws {
        try await connection.write(DeferredWrite("cancel_timer").with("return", id).with("name", name), logger: logger)
    }

    /// Timers due as of `asOf` (the database clock when nil), oldest first. Not locked: the caller locks the
    /// return first and then re-reads the timer, the same order a transition takes, so the two never deadlock.
    public func dueTimers(asOf: Date?, limit: Int, on connection: DatabaseConnection) async throws -> [TimerRecord] {
        var timers: [TimerRecord] = []
        for try await (id, returnID, name, event, state, due) in try await connection.query(
            """
            SELECT id, return_id, name, event, state, due_at FROM timers
            WHERE status = 'pending' AND due_at <= coalesce(\(asOf)::timestamptz, now())
            ORDER BY due_at, id LIMIT \(limit)
            """, logger: logger
        ).decode((Int64, UUID, String, String, String, Date).self) {
            timers.append(TimerRecord(id: id, returnID: returnID, name: name, event: event, state: state, dueAt: due))
        }
        return timers
    }

    /// Marks a pending timer settled as `status`; false when it was no longer pending.
    public func settleTimer(_ id: Int64, status: String, on connection: DatabaseConnection) async throws -> Bool {
        let rows = try await connection.query(
            "UPDATE timers SET status = \(status), settled_at = now() WHERE id = \(id) AND status = 'pending' RETURNING id",
            logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func pendingTimers(of id: UUID, on connection: DatabaseConnection) async throws -> [TimerRecord] {
        var timers: [TimerRecord] = []
        for try await (timerID, name, event, state, due) in try await connection.query(
            "SELECT id, name, event, state, due_at FROM timers WHERE return_id = \(id) AND status = 'pending' ORDER BY due_at",
            logger: logger
        ).decode((Int64, String, String, String, Date).self) {
            timers.append(TimerRecord(id: timerID, returnID: id, name: name, event: event, state: state, dueAt: due))
        }
        return timers
    }
}
