import Foundation
import Logging
import PostgresNIO

/// A customer's answer to "Did we resolve your problem?" for one return.
public struct FeedbackRecord: Sendable, Hashable {
    public var resolved: Bool
    public var reason: String?
    public var comment: String
    public var locale: String
    public var firstAnsweredAt: Date
    public var answeredAt: Date
    /// `open` or `closed` after a "no"; nil after a "yes" that was never a "no".
    public var followUp: String?
}

/// The answer can no longer be changed: it was first given more than 14 days ago (the table's trigger).
public struct FeedbackClosed: Error, Sendable, Hashable {}

/// One row of the negative response rate: the answers of one group and how many were "no".
public struct ResponseRateRow: Sendable, Hashable, Codable {
    /// workflow, partner, reason (the return's first line's reason code) or locale.
    public var dimension: String
    public var value: String
    public var answers: Int
    public var negative: Int
    /// The share of "no", from 0 to 1.
    public var rate: Double { answers == 0 ? 0 : Double(negative) / Double(answers) }
}

/// The SQL of `return_feedback`: one answer per return, changeable for 14 days (the trigger's rule), a "no"
/// opening a follow-up for staff.
public struct FeedbackRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func find(_ id: UUID, on connection: DatabaseConnection) async throws -> FeedbackRecord? {
        let rows = try await connection.query(
            """
            SELECT resolved, reason, comment, locale, first_answered_at, answered_at, follow_up
            FROM return_feedback WHERE return_id = \(id)
            """, logger: logger)
        for try await (resolved, reason, comment, locale, first, answered, followUp) in rows.decode(
            (Bool, String?, String, String, Date, Date, String?).self)
        {
            return FeedbackRecord(
                resolved: resolved, reason: reason, comment: comment, locale: locale, firstAnsweredAt: first,
                answeredAt: answered, followUp: followUp)
        }
        return nil
    }

    /// Records the answer, or changes it. A "no" that was not one before opens a follow-up (again, if staff had
    /// closed one); a "yes" keeps a follow-up already opened, for staff to close. Throws `FeedbackClosed` past the
    /// 14 days.
    public func answer(
        _ id: UUID, resolved: Bool, reason: String?, comment: String, locale: String, on connection: DatabaseConnection
    ) async throws -> FeedbackRecord {
        do {
            try await connection.query(
                """
                INSERT INTO return_feedback (return_id, resolved, reason, comment, locale, follow_up)
                VALUES (\(id), \(resolved), \(reason), \(comment), \(locale), CASE WHEN \(resolved) THEN NULL ELSE 'open' END)
                ON CONFLICT (return_id) DO UPDATE SET
                    resolved = excluded.resolved, reason = excluded.reason, comment = excluded.comment,
                    locale = excluded.locale, answered_at = now(),
                    follow_up = CASE WHEN NOT excluded.resolved AND (return_feedback.resolved OR return_feedback.follow_up IS NULL)
                                     THEN 'open' ELSE return_feedback.follow_up END
                """, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.constraintName] == "return_feedback_changeable" {
            throw FeedbackClosed()
        }
        guard let record = try await find(id, on: connection) else { throw FeedbackClosed() }
        return record
    }

    /// Answers with a follow-up still open, oldest first: the staff's queue.
    public func openFollowUps(partnerID: Int64?, limit: Int, on connection: DatabaseConnection) async throws
        -> [(returnID: UUID, orderRef: String, record: FeedbackRecord)]
    {
        let rows = try await connection.query(
            """
            SELECT f.return_id, r.order_ref, f.resolved, f.reason, f.comment, f.locale, f.first_answered_at, f.answered_at,
                   f.follow_up
            FROM return_feedback f JOIN returns r ON r.id = f.return_id
            WHERE f.follow_up = 'open' AND (\(partnerID)::bigint IS NULL OR r.partner_id = \(partnerID)::bigint)
            ORDER BY f.answered_at LIMIT \(limit)
            """, logger: logger)
        var found: [(UUID, String, FeedbackRecord)] = []
        for try await (id, ref, resolved, reason, comment, locale, first, answered, followUp) in rows.decode(
            (UUID, String, Bool, String?, String, String, Date, Date, String?).self)
        {
            found.append(
                (id, ref, FeedbackRecord(
                    resolved: resolved, reason: reason, comment: comment, locale: locale, firstAnsweredAt: first,
                    answeredAt: answered, followUp: followUp)))
        }
        return found
    }

    /// Closes the open follow-up of a return with staff's note; false when none is open (already closed).
    public func closeFollowUp(_ id: UUID, note: String, by staff: String, on connection: DatabaseConnection) async throws
        -> Bool
    {
        var closed = false
        for try await _ in try await connection.query(
            """
            UPDATE return_feedback SET follow_up = 'closed', follow_up_note = \(note), follow_up_by = \(staff),
                follow_up_at = now()
            WHERE return_id = \(id) AND follow_up = 'open' RETURNING 1
            """, logger: logger
        ).decode(Int.self) {
            closed = true
        }
        return closed
    }

    /// The negative response rate per workflow, partner, reason code and locale, of the answers last given in
    /// [from, to); `partner` keeps only that partner's returns.
    public func responseRates(from: Date, to: Date, partner: String? = nil, on connection: DatabaseConnection)
        async throws -> [ResponseRateRow]
    {
        let rows = try await connection.query(
            """
            WITH answered AS (
                SELECT f.resolved, f.locale, r.workflow_name, coalesce(p.name, '') AS partner,
                       (SELECT i.reason FROM return_items i WHERE i.return_id = r.id ORDER BY i.line LIMIT 1) AS reason
                FROM return_feedback f
                JOIN returns r ON r.id = f.return_id
                LEFT JOIN partners p ON p.id = r.partner_id
                WHERE f.answered_at >= \(from) AND f.answered_at < \(to)
                  AND (\(partner)::text IS NULL OR p.name = \(partner)::text))
            SELECT d.dimension, d.value, count(*)::int8, (count(*) FILTER (WHERE NOT a.resolved))::int8
            FROM answered a
            CROSS JOIN LATERAL (VALUES ('workflow', a.workflow_name), ('partner', a.partner),
                                       ('reason', coalesce(a.reason, '')), ('locale', a.locale)) AS d (dimension, value)
            WHERE d.value <> ''
            GROUP BY d.dimension, d.value
            ORDER BY d.dimension, d.value
            """, logger: logger)
        var found: [ResponseRateRow] = []
        for try await (dimension, value, answers, negative) in rows.decode((String, String, Int64, Int64).self) {
            found.append(ResponseRateRow(dimension: dimension, value: value, answers: Int(answers), negative: Int(negative)))
        }
        return found
    }
}
