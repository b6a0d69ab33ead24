import Foundation
import Logging
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Returns that ran their whole course, written by SQL before a benchmark measures, so its figure is taken on a
/// database of a given size (`--preload N`). Each is a closed return on the `standard` workflow with one item,
/// its ten history events (request to close), four delivered notifications, and its fired and cancelled timers,
/// spread over the last 30 days. Written with `INSERT ... SELECT generate_series` in batches of 500,000, then
/// analyzed. Never used on a real database: the benchmarks create their own and drop it after the run.
public enum HistoryPreload {
    public struct Outcome: Sendable, Codable {
        public var returns: Int
        public var seconds: Double
        /// The scratch database's size afterwards.
        public var databaseMegabytes: Double
    }

    /// The standard workflow's course, as (event, from, to) after `created`.
    static let course: [(String, String, String)] = [
        ("issue_label", "requested", "label_issued"), ("ship", "label_issued", "in_transit"),
        ("scan", "in_transit", "in_transit"), ("receive", "in_transit", "received"),
        ("inspect", "received", "inspected"), ("grade", "inspected", "graded"),
        ("approve_refund", "graded", "refund_pending"), ("refund_succeeded", "refund_pending", "refunded"),
        ("close", "refunded", "closed"),
    ]

    /// `preload(count, ...)` with the standard workflow's deployed version; nil (and nothing written) for 0.
    static func preloadIfAsked(_ count: Int, catalog: WorkflowCatalog, on db: Database) async throws -> Outcome? {
        guard count > 0 else { return nil }
        let version = catalog.workflow(named: "standard")?.definition.version ?? 1
        return try await preload(count, workflowVersion: version, on: db)
    }

    public static func preload(_ count: Int, workflowVersion version: Int, on db: Database) async throws -> Outcome {
        let started = ContinuousClock.now
        let logger = db.logger
        let steps = course.enumerated().map { index, step in
            "(\(index + 2), '\(step.0)', '\(step.1)', '\(step.2)')"
        }.joined(separator: ", ")
        let batch = 500_000
        try await db.client.withConnection { connection in
            // History reaches 30 days back: those months' partitions first.
            try await connection.query("SELECT returns_ensure_partitions(now() - interval '31 days')", logger: logger)
            for first in stride(from: 1, through: count, by: batch) {
                let last = min(count, first + batch - 1)
                try await connection.query("BEGIN", logger: logger)
                // A return made (g % 43200) minutes ago, each step an hour after the one before.
                try await connection.query(
                    """
                    INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref,
                                         customer_email, locale, currency, paid_minor, created_at, updated_at)
                    SELECT md5('hist-' || g)::uuid, 'hist-tok-' || g, 'standard', \(version), 'closed', 10,
                           'HIST-' || g, 'h' || g % 200000 || '@example.com', 'en', 'EUR', 8990,
                           now() - (g % 43200) * interval '1 minute',
                           now() - (g % 43200) * interval '1 minute' + interval '9 hours'
                    FROM generate_series(\(first), \(last)) g
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO return_items (return_id, line, sku, quantity, unit_price_minor, currency,
                                              quantity_received)
                    SELECT md5('hist-' || g)::uuid, 1, 'SKU-' || g % 5000, 1, 8990, 'EUR', 1
                    FROM generate_series(\(first), \(last)) g
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data, occurred_at)
                    SELECT md5('hist-' || g)::uuid, s.seq, s.event, s.from_state, s.to_state, 'bench',
                           CASE s.event WHEN 'ship' THEN jsonb_build_object('tracking_number', '1ZH' || g)
                                        ELSE '{}'::jsonb END,
                           now() - (g % 43200) * interval '1 minute' + (s.seq - 1) * interval '1 hour'
                    FROM generate_series(\(first), \(last)) g,
                         (VALUES (1, 'created', NULL, 'requested'), \(unescaped: steps))
                             AS s (seq, event, from_state, to_state)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO outbox (message_id, return_id, seq, template, locale, status, attempts, created_at,
                                        delivered_at, channel)
                    SELECT md5('hist-m-' || g || '-' || n.seq)::uuid, md5('hist-' || g)::uuid, n.seq, n.template,
                           'en', 'delivered', 1,
                           now() - (g % 43200) * interval '1 minute' + (n.seq - 1) * interval '1 hour',
                           now() - (g % 43200) * interval '1 minute' + (n.seq - 1) * interval '1 hour', 'webhook'
                    FROM generate_series(\(first), \(last)) g,
                         (VALUES (2, 'label_issued'), (3, 'in_transit'), (5, 'received'), (9, 'refunded'))
                             AS n (seq, template)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO timers (return_id, name, event, state, armed_seq, due_at, status, settled_at,
                                        created_at)
                    SELECT md5('hist-' || g)::uuid, t.name, t.event, t.state, t.seq,
                           now() - (g % 43200) * interval '1 minute' + interval '2 days', t.status,
                           now() - (g % 43200) * interval '1 minute' + t.settled * interval '1 hour',
                           now() - (g % 43200) * interval '1 minute' + (t.seq - 1) * interval '1 hour'
                    FROM generate_series(\(first), \(last)) g,
                         (VALUES ('label_expiry', 'expire_label', 'label_issued', 2, 'cancelled', 2),
                                 ('inspection_sla', 'inspection_overdue', 'received', 5, 'cancelled', 5))
                             AS t (name, event, state, seq, status, settled)
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
            }
            try await connection.query("ANALYZE", logger: logger)
        }
        var bytes: Int64 = 0
        for try await size in try await db.client.query("SELECT pg_database_size(current_database())", logger: logger)
            .decode(Int64.self)
        {
            bytes = size
        }
        return Outcome(
            returns: count, seconds: (ContinuousClock.now - started).totalSeconds,
            databaseMegabytes: Double(bytes) / 1_048_576)
    }
}
