import Foundation
import Logging
import NIOCore
import PostgresNIO

extension Database {
    /// Runs `body` in a reconciliation's frame (see `ReconcileRun`) on one pooled connection.
    public func reconcileRun<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation, _ body: (ReconcileRun) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        // Not through withConnection and its loss guard: the body streams the file and the report in the caller's
        // isolation and is not Sendable.
        return try await client.withConnection { connection in
            try await ReconcileRun(connection: DatabaseConnection(connection), logger: logger).run(body)
        }
    }
}

/// The frame every reconciliation runs in: one transaction, always rolled back, read-only after its temporary
/// tables exist, with timestamps read as UTC.
///
/// A run loads the file into a temporary table with `COPY FROM STDIN` (`loadSettlement`, `loadManifest`), judges it
/// in SQL, which stores every discrepancy in the temporary `recon_result`, then reads the counts and the results.
public struct ReconcileRun: Sendable {
    let connection: DatabaseConnection
    let logger: Logger

    func run<T>(isolation: isolated (any Actor)? = #isolation, _ body: (ReconcileRun) async throws -> T)
        async throws -> T
    {
        try await connection.query("BEGIN", logger: logger)
        do {
            // The COPY and matching statements are as long as the file: no limit, whatever the server's default.
            try await connection.query(
                """
                SELECT set_config('TimeZone', 'UTC', true), set_config('statement_timeout', '0', true),
                       set_config('lock_timeout', '0', true)
                """, logger: logger)
            let result = try await body(self)
            try await connection.query("ROLLBACK", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The partner named `name`, or the names there are.
    public func partner(named name: String) async throws -> PartnerLookup {
        try await PartnerLookup.find(named: name, on: connection, logger: logger)
    }

    /// Copies a settlement file into `settlement_lines` and seals the run. `next` writes one row (line, refund_key,
    /// refund_id, reference, amount_minor, currency, status, settled_at) and answers false at the end of the file.
    public func loadSettlement(_ next: (inout CopyText) throws -> Bool) async throws {
        try await load(into: "settlement_lines", creating: SettlementMatching.linesTableSQL, next)
    }

    /// Copies a manifest into `manifest_lines` and seals the run. `next` writes one row (line, return_key,
    /// return_id, sku, quantity, grade, disposition, received_at, inspected_at) and answers false at the end.
    public func loadManifest(_ next: (inout CopyText) throws -> Bool) async throws {
        try await load(into: "manifest_lines", creating: ManifestMatching.linesTableSQL, next)
    }

    private func load(into table: String, creating linesTableSQL: String, _ next: (inout CopyText) throws -> Bool)
        async throws
    {
        try await connection.query(PostgresQuery(unsafeSQL: linesTableSQL), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: Self.resultTableSQL), logger: logger)
        try await copy(into: table, next)
        try await seal(table: table)
    }

    /// Where a reconciliation's discrepancies are kept until they are reported (the psql baseline of
    /// `returns bench reconcile` creates it too).
    public static let resultTableSQL = """
        CREATE TEMPORARY TABLE recon_result (
            kind text NOT NULL, key text NOT NULL, line bigint, expected text, actual text,
            expected_minor bigint, actual_minor bigint, currency text
        ) ON COMMIT DROP
        """

    /// Streams rows made by `next` (false when done) into `table` with COPY FROM STDIN, in large writes.
    private func copy(into table: String, _ next: (inout CopyText) throws -> Bool) async throws {
        let flushAt = 1 << 18
        try await connection.copyFrom(table: table, logger: logger) { writer in
            var rows = CopyText(capacity: flushAt + 4096)
            while try next(&rows) {
                if rows.count >= flushAt { try await writer.write(rows.take()) }
            }
            if rows.count > 0 { try await writer.write(rows.take()) }
        }
    }

    /// Gives the planner the loaded table's statistics (temporary tables are never auto-analyzed), then makes the
    /// transaction read-only: from here on the server refuses any write but to temporary tables.
    private func seal(table: String) async throws {
        try await connection.query("ANALYZE \(unescaped: table)", logger: logger)
        try await connection.query("SET TRANSACTION READ ONLY", logger: logger)
    }

    /// Stores every discrepancy between the manifest and the engine and answers how many lines matched.
    public func judge(_ matching: ManifestMatching) async throws -> Int {
        try await matched(matching.judgeQuery)
    }

    /// Stores every discrepancy between the settlement file and the engine and answers how many lines matched.
    public func judge(_ matching: SettlementMatching) async throws -> Int {
        try await matched(matching.judgeQuery)
    }

    private func matched(_ judge: PostgresQuery) async throws -> Int {
        let rows = try await connection.query(judge, logger: logger)
        for try await matched in rows.decode(Int.self) { return matched }
        return 0
    }

    /// Per currency, what the engine counts as refunded and what the settlement file settled.
    public func totals(_ matching: SettlementMatching) async throws -> SettlementMatching.Totals {
        var totals = SettlementMatching.Totals()
        let engineRows = try await connection.query(matching.engineTotalsQuery, logger: logger)
        for try await (currency, sum) in engineRows.decode((String, Int64).self) { totals.engine[currency] = sum }
        let fileRows = try await connection.query(matching.settlementTotalsQuery, logger: logger)
        for try await (currency, sum) in fileRows.decode((String, Int64).self) { totals.settlement[currency] = sum }
        return totals
    }

    /// How many discrepancies of each kind are stored (kinds without any are absent).
    public func counts() async throws -> [String: Int] {
        var found: [String: Int] = [:]
        let rows = try await connection.query(
            "SELECT kind, count(*)::bigint FROM recon_result GROUP BY kind", logger: logger)
        for try await (kind, count) in rows.decode((String, Int).self) { found[kind] = count }
        return found
    }

    /// Every stored discrepancy, by file line (the engine's own, lineless ones last).
    public func results(_ each: (ResultRow) throws -> Void) async throws {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.resultsSQL), logger: logger)
        for try await (kind, key, line, expected, actual, expectedMinor, actualMinor, currency) in rows.decode(
            (String, String, Int?, String?, String?, Int64?, Int64?, String?).self)
        {
            try each(
                ResultRow(
                    kind: kind, key: key, line: line, expected: expected, actual: actual, expectedMinor: expectedMinor,
                    actualMinor: actualMinor, currency: currency))
        }
    }

    /// The stored discrepancies in report order (the psql baseline of `returns bench reconcile` reads them too).
    public static let resultsSQL = """
        SELECT kind, key, line, expected, actual, expected_minor, actual_minor, currency FROM recon_result
        ORDER BY line NULLS LAST, key, kind
        """

    /// One stored discrepancy as the matching SQL wrote it: amounts in minor units, apart from the words around them.
    public struct ResultRow: Sendable, Hashable {
        public var kind: String
        /// The refund's or return's id as the file gives it, or the engine's id for what the file lacks.
        public var key: String
        /// The file's line (nil when the engine has something the file lacks).
        public var line: Int?
        /// What the engine holds.
        public var expected: String?
        /// What the file says.
        public var actual: String?
        /// Amounts in minor units of `currency`, written after `expected` and `actual` in a report.
        public var expectedMinor: Int64?
        public var actualMinor: Int64?
        /// The currency of the amounts.
        public var currency: String?
    }
}
