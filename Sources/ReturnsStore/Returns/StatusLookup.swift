import Foundation
import PostgresNIO

/// The customer status lookup, prepared once per connection: parsing and planning this statement (a join over
/// every monthly partition of the history) was half of the database's time per lookup.
struct StatusLookup: PostgresPreparedStatement {
    static let sql = """
        SELECT \(ReturnRepository.returnColumns.split(separator: ",")
            .map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")),
               h.states, h.times, t.next_due, f.amount, f.counted, f.all_sent,
               i.skus, i.quantities, i.resolutions, i.exchanges, c.credited
        FROM returns r
        CROSS JOIN LATERAL (
            SELECT coalesce(array_agg(e.to_state ORDER BY e.seq), '{}') AS states,
                   coalesce(array_agg(e.occurred_at ORDER BY e.seq), '{}') AS times
            FROM return_events e
            WHERE e.return_id = r.id AND e.from_state IS DISTINCT FROM e.to_state) h
        CROSS JOIN LATERAL (
            SELECT min(due_at) AS next_due FROM timers WHERE return_id = r.id AND status = 'pending') t
        CROSS JOIN LATERAL (
            SELECT coalesce(sum(amount_minor), 0)::int8 AS amount, count(*) AS counted,
                   coalesce(bool_and(status = 'succeeded'), false) AS all_sent
            FROM refunds WHERE return_id = r.id AND status <> 'failed') f
        CROSS JOIN LATERAL (
            SELECT array_agg(sku ORDER BY line) AS skus, array_agg(quantity ORDER BY line) AS quantities,
                   array_agg(coalesce(fallback, resolution) ORDER BY line) AS resolutions,
                   array_agg(coalesce(exchange_sku, '') ORDER BY line) AS exchanges
            FROM return_items WHERE return_id = r.id) i
        CROSS JOIN LATERAL (
            SELECT coalesce(sum(amount_minor), 0)::int8 AS credited FROM credit_entries
            WHERE return_id = r.id AND kind IN ('credit', 'bonus')) c
        WHERE r.status_token = $1
        """
    typealias Row = StatusSnapshot
    var token: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(token)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> StatusSnapshot {
        let cells = row.makeRandomAccess()
        let columns = ReturnRepository.returnColumnCount
        let states = try cells[columns].decode([String].self)
        let times = try cells[columns + 1].decode([Date].self)
        return StatusSnapshot(
            record: try ReturnRecord(row: row),
            changes: zip(states, times).map { StatusSnapshot.Change(state: $0, at: $1) },
            nextDue: try cells[columns + 2].decode(Date?.self), refundedMinor: try cells[columns + 3].decode(Int64.self),
            refunds: Int(try cells[columns + 4].decode(Int64.self)),
            refundsAllSent: try cells[columns + 5].decode(Bool.self),
            lines: zip(
                zip(try cells[columns + 6].decode([String].self), try cells[columns + 7].decode([Int].self)),
                zip(try cells[columns + 8].decode([String].self), try cells[columns + 9].decode([String].self))
            ).map { StatusSnapshot.Line(sku: $0.0, quantity: $0.1, resolution: $1.0, exchangeSKU: $1.1.isEmpty ? nil : $1.1) },
            creditedMinor: try cells[columns + 10].decode(Int64.self))
    }
}
