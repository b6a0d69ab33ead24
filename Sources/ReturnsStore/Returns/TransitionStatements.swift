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

    /// `LockReturn` with the command's idempotency key read in the same round trip. The key is read from the
    /// statement's snapshot, taken before any wait for the lock, and so is the last column, the return's version
    /// then: when it differs from the locked row's (the return moved while this waited), a command that committed
    /// meanwhile may have recorded the key, and the caller reads the key again (`ReturnRepository.lockReturn`).
    struct LockReturnWithKey: PostgresPreparedStatement {
        static let sql = """
            SELECT \(ReturnRepository.returnColumns(of: "r")), k.request_hash, k.response::text,
                   (SELECT version FROM returns WHERE id = $1)
            FROM returns r LEFT JOIN idempotency_keys k ON k.scope = $2 AND k.key = $3
            WHERE r.id = $1 FOR UPDATE OF r
            """
        /// The return, its key's record, and whether that record may be out of date.
        typealias Row = (ReturnRecord, IdempotencyRecord?, stale: Bool)
        var id: UUID
        var scope: String
        var key: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(id)
            bindings.append(scope)
            bindings.append(key)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let columns = row.makeRandomAccess()
            let count = ReturnRepository.returnColumnCount
            let record = try ReturnRecord(row: row)
            let hash = try columns[count].decode(String?.self)
            let response = try columns[count + 1].decode(String?.self)
            let versionBeforeLock = try columns[count + 2].decode(Int?.self)
            return (
                record, hash.map { IdempotencyRecord(requestHash: $0, response: response ?? "") },
                versionBeforeLock != record.version)
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
