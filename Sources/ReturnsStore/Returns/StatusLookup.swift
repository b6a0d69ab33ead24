import Foundation
import PostgresNIO

/// The customer status lookup, prepared once per connection: parsing and planning this statement (a join over
/// every monthly partition of the history) was half of the database's time per lookup.
struct StatusLookup: PostgresPreparedStatement {
    static let sql = """
        SELECT \(ReturnRepository.returnColumns.split(separator: ",")
            .map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")),
               h.states, h.times, t.next_due, f.amount, f.counted, f.all_sent
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
        let (
            id, token, name, version, state, returnVersion, order, email, locale, currency, paid, created, updated,
            partner, states, times, nextDue, refunded, refunds, allSent
        ) = try row.decode(
            (UUID, String, String, Int, String, Int, String, String, String, String, Int64, Date, Date, Int64?,
             [String], [Date], Date?, Int64, Int64, Bool).self)
        return StatusSnapshot(
            record: ReturnRecord(
                id: id, statusToken: token, workflowName: name, workflowVersion: version, state: state,
                version: returnVersion, orderRef: order, customerEmail: email, locale: locale, currency: currency,
                paidMinor: paid, createdAt: created, updatedAt: updated, partnerID: partner),
            changes: zip(states, times).map { StatusSnapshot.Change(state: $0, at: $1) }, nextDue: nextDue,
            refundedMinor: refunded, refunds: Int(refunds), refundsAllSent: allSent)
    }
}
