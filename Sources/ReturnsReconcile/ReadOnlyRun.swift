import Foundation
import Logging
import NIOCore
import PostgresNIO
import ReturnsCore
import ReturnsStore

/// The frame every reconciliation runs in: one transaction, always rolled back, read-only after its temporary
/// tables exist, with timestamps read as UTC.
enum ReadOnlyRun {
    static func run<T>(
        on connection: PostgresConnection, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SET LOCAL TimeZone = 'UTC'", logger: logger)
            let result = try await body()
            try await connection.query("ROLLBACK", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    static func createResultTable(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: resultTableSQL), logger: logger)
    }

    /// Where a reconciliation's discrepancies are kept until they are reported.
    static let resultTableSQL = """
        CREATE TEMPORARY TABLE recon_result (
            kind text NOT NULL, key text NOT NULL, line bigint, expected text, actual text,
            expected_minor bigint, actual_minor bigint, currency text
        ) ON COMMIT DROP
        """

    /// Streams rows made by `next` (false when done) into `table` with COPY FROM STDIN, in large writes.
    static func copy(
        into table: String, on connection: PostgresConnection, logger: Logger,
        _ next: (inout CopyText) throws -> Bool
    ) async throws {
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
    static func seal(on connection: PostgresConnection, table: String, logger: Logger) async throws {
        try await connection.query("ANALYZE \(unescaped: table)", logger: logger)
        try await connection.query("SET TRANSACTION READ ONLY", logger: logger)
    }

    /// Discrepancy counts for `kinds` (the first, "matched", left at 0 for the caller).
    static func counts(on connection: PostgresConnection, kinds: [String], logger: Logger) async throws
        -> [(kind: String, count: Int)]
    {
        var found: [String: Int] = [:]
        let rows = try await connection.query(
            "SELECT kind, count(*)::bigint FROM recon_result GROUP BY kind", logger: logger)
        for try await (kind, count) in rows.decode((String, Int).self) { found[kind] = count }
        return kinds.map { ($0, found[$0] ?? 0) }
    }

    /// Every stored discrepancy, by file line (the engine's own, lineless ones last).
    static func streamResults(
        on connection: PostgresConnection, keyName: String, logger: Logger, _ each: (Discrepancy) throws -> Void
    ) async throws {
        let rows = try await connection.query(
            """
            SELECT kind, key, line, expected, actual, expected_minor, actual_minor, currency FROM recon_result
            ORDER BY line NULLS LAST, key, kind
            """, logger: logger)
        for try await (kind, key, line, expected, actual, expectedMinor, actualMinor, currency) in rows.decode(
            (String, String, Int?, String?, String?, Int64?, Int64?, String?).self)
        {
            func text(_ words: String?, _ minor: Int64?) -> String? {
                guard let minor else { return words }
                let amount =
                    Money.decimalString(minorUnits: minor, currencyCode: currency ?? "") + " " + (currency ?? "")
                return words.map { "\($0) " + amount } ?? amount
            }
            try each(
                Discrepancy(
                    kind: kind, keyName: keyName, key: key, line: line, expected: text(expected, expectedMinor),
                    actual: text(actual, actualMinor)))
        }
    }
}
