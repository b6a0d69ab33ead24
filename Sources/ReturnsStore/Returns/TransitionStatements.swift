import Foundation
import PostgresNIO

/// The statements every transition sends, prepared once per connection: parsing and planning them on every call
/// cost the server about a third of its time per transition (pgbench -M extended against -M prepared on the
/// transition scripts of Benchmarks/transitions). postgres-nio prepares each on first use and keeps it by name.
enum TransitionStatements {
    struct LockReturn: PostgresPreparedStatement {
        static let sql = "SELECT \(ReturnRepository.returnColumns) FROM returns WHERE id = $1 FOR UPDATE"
        typealias Row = ReturnRecord
        var id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> ReturnRecord {
            try ReturnRecord(row: row)
        }
    }

    struct FindIdempotencyKey: PostgresPreparedStatement {
        static let sql = "SELECT request_hash, response::text FROM idempotency_keys WHERE scope = $1 AND key = $2"
        typealias Row = IdempotencyRecord
        var scope: String
        var key: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(scope)
            bindings.append(key)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> IdempotencyRecord {
            let (hash, response) = try row.decode((String, String).self)
            return IdempotencyRecord(requestHash: hash, response: response)
        }
    }

    struct RecordIdempotencyKey: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO idempotency_keys (scope, key, request_hash, return_id, response)
            VALUES ($1, $2, $3, $4, $5::jsonb)
            """
        typealias Row = ()
        var scope: String
        var key: String
        var requestHash: String
        var returnID: UUID?
        var responseJSON: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(scope)
            bindings.append(key)
            bindings.append(requestHash)
            bindings.append(returnID)
            bindings.append(responseJSON)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct UpdateState: PostgresPreparedStatement {
        static let sql = "UPDATE returns SET state = $1, version = $2, updated_at = now() WHERE id = $3"
        typealias Row = ()
        var state: String
        var version: Int
        var id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(state)
            bindings.append(version)
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct AppendEvent: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
            """
        typealias Row = ()
        var id: UUID
        var seq: Int
        var event: String
        var from: String?
        var to: String
        var actor: String
        var dataJSON: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 7)
            bindings.append(id)
            bindings.append(seq)
            bindings.append(event)
            bindings.append(from)
            bindings.append(to)
            bindings.append(actor)
            bindings.append(dataJSON)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct RefundedMinor: PostgresPreparedStatement {
        static let sql =
            "SELECT coalesce(sum(amount_minor), 0)::bigint FROM refunds WHERE return_id = $1 AND status <> 'failed'"
        typealias Row = Int64
        var id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int64 {
            try row.decode(Int64.self)
        }
    }

    struct EnqueueNotification: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO outbox (message_id, return_id, seq, template, locale, payload)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            """
        typealias Row = ()
        var messageID: UUID
        var id: UUID
        var seq: Int
        var template: String
        var locale: String
        var payloadJSON: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(messageID)
            bindings.append(id)
            bindings.append(seq)
            bindings.append(template)
            bindings.append(locale)
            bindings.append(payloadJSON)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// `pg_notify` answers one row of type void; `SELECT 1 FROM` gives a row that decodes.
    struct Wake: PostgresPreparedStatement {
        static let sql = "SELECT 1 FROM pg_notify($1, '')"
        typealias Row = Int
        var channel: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(channel)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int {
            try row.decode(Int.self)
        }
    }

    struct CancelTimer: PostgresPreparedStatement {
        static let sql = """
            UPDATE timers SET status = 'cancelled', settled_at = now()
            WHERE return_id = $1 AND name = $2 AND status = 'pending'
            """
        typealias Row = ()
        var id: UUID
        var name: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(id)
            bindings.append(name)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct InsertTimer: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO timers (return_id, name, event, state, armed_seq, due_at)
            VALUES ($1, $2, $3, $4, $5, coalesce($6::timestamptz, now()) + make_interval(secs => $7))
            """
        typealias Row = ()
        var id: UUID
        var name: String
        var event: String
        var state: String
        var seq: Int
        var base: Date?
        var seconds: Double

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 7)
            bindings.append(id)
            bindings.append(name)
            bindings.append(event)
            bindings.append(state)
            bindings.append(seq)
            bindings.append(base)
            bindings.append(seconds)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct ItemStates: PostgresPreparedStatement {
        static let sql = """
            SELECT line, sku, quantity, unit_price_minor, category, reason, quantity_received, quantity_refunded,
                   grade, disposition, quantity_graded, quantity_written_off, resolution, exchange_sku, fallback
            FROM return_items WHERE return_id = $1 ORDER BY line
            """
        typealias Row = ItemState
        var id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> ItemState {
            let (
                line, sku, quantity, price, category, reason, received, refunded, grade, disposition, graded, writtenOff,
                resolution, exchangeSKU, fallback
            ) = try row.decode(
                (Int, String, Int, Int64, String, String, Int, Int, String?, String?, Int, Int, String, String?, String?)
                    .self)
            return ItemState(
                line: line, sku: sku, quantity: quantity, unitPriceMinor: price, category: category, reason: reason,
                received: received, refunded: refunded, grade: grade, disposition: disposition, graded: graded,
                writtenOff: writtenOff, resolution: resolution, exchangeSKU: exchangeSKU, fallback: fallback)
        }
    }
}
