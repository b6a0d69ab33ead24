import Foundation
import PostgresNIO
import ReturnsBench
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("returns bench transitions, as a user runs it", .serialized)
struct BenchCommandTests {
    @Test("drives returns through the standard lifecycle, runs every pgbench script and the minimal transition without a failure, leaves no trace")
    func transitions() async throws {
        let database = try await TestDatabase.makeDatabase()
        let result = try await CLI.run(
            ["bench", "transitions", "--returns", "3", "--concurrency", "2", "--json"], database: database)
        #expect(result.code == 0, "\(result.text)")
        let answer = try CLI.json(result.output)
        #expect(answer["transitions"] as? Int == 3 * TransitionBenchmark.lifecycle.count)
        #expect((answer["transitionsPerSecond"] as? Double ?? 0) > 0)
        let pgbench = try #require(answer["pgbench"] as? [String: Any])
        // 27 transitions over 2 clients: 14 each. A script that no longer fits the schema fails its transactions.
        #expect(pgbench["transactions"] as? Int == 28)
        #expect(pgbench["failed"] as? Int == 0)
        #expect((pgbench["command"] as? String)?.contains("--protocol=prepared --client=2") == true)
        // The minimal transition, as many transactions on returns of its own seed, none failed.
        let minimal = try #require(answer["minimal"] as? [String: Any])
        #expect(minimal["transactions"] as? Int == 28 && minimal["failed"] as? Int == 0, "\(minimal)")
        #expect((minimal["command"] as? String)?.contains("pgbench/transition.sql") == true, "\(minimal)")
        #expect((answer["ratioToMinimal"] as? Double ?? 0) > 0)

        // The scratch database is gone and the database the URL names was not touched.
        try await Database.with(database) { db in
            try await db.client.withConnection { connection in
                var scratch = 0
                for try await count in try await connection.query(
                    "SELECT count(*)::bigint FROM pg_database WHERE datname = 'returns_bench_transitions'",
                    logger: db.logger
                ).decode(Int.self) {
                    scratch = count
                }
                #expect(scratch == 0)
                var returns = -1
                for try await count in try await connection.query(
                    "SELECT count(*)::bigint FROM returns", logger: db.logger
                ).decode(Int.self) {
                    returns = count
                }
                #expect(returns == 0)
            }
        }

        let refused = try await CLI.run(["bench", "transitions", "--concurrency", "0"], database: database)
        #expect(refused.code == 64)
        #expect(refused.errors.contains("--concurrency must be from 1 to 64"))
    }

    @Test("bench status looks up every token through a live returns serve and its static route, without an error")
    func status() async throws {
        let database = try await TestDatabase.makeDatabase()
        let result = try await CLI.run(
            ["bench", "status", "--requests", "200", "--connections", "2", "--returns", "5", "--json"],
            database: database)
        #expect(result.code == 0, "\(result.text)")
        let answer = try CLI.json(result.output)
        let status = try #require(answer["status"] as? [String: Any])
        let live = try #require(answer["staticRoute"] as? [String: Any])
        #expect(status["path"] as? String == "/v1/status/{token}")
        #expect(live["path"] as? String == "/health/live")
        // A token that no longer opened its return would answer 404 and count as an error.
        #expect(status["errors"] as? Int == 0)
        #expect(live["errors"] as? Int == 0)
        #expect((status["requests"] as? Int ?? 0) >= 200)
        #expect((live["requests"] as? Int ?? 0) >= 200)
        #expect((answer["ratio"] as? Double ?? 0) > 0)
    }

    @Test("bench partner-api applies every report through the engine and through a live returns serve, on a preloaded history, and drops its database")
    func partnerAPI() async throws {
        let database = try await TestDatabase.makeDatabase()
        let result = try await CLI.run(
            ["bench", "partner-api", "--returns", "6", "--connections", "2", "--preload", "50", "--json"],
            database: database)
        #expect(result.code == 0, "\(result.text)")
        let answer = try CLI.json(result.output)
        for phase in ["engine", "http"] {
            let run = try #require(answer[phase] as? [String: Any], "\(phase)")
            // Four reports on each of the 6 returns, none refused, and each return inspected to refund_pending.
            #expect(run["reports"] as? Int == 24, "\(phase)")
            #expect(run["errors"] as? Int == 0, "\(phase)")
            #expect(run["finished"] as? Int == 6, "\(phase)")
        }
        #expect((answer["ratio"] as? Double ?? 0) > 0)
        // 50 finished returns with their history were there before the reports, and no report touched them.
        let preloaded = try #require(answer["preloaded"] as? [String: Any])
        #expect(preloaded["returns"] as? Int == 50 && (preloaded["databaseMegabytes"] as? Double ?? 0) > 0)
        let left = try await Database.with(database) { database in
            try await database.client.query(
                "SELECT count(*)::int FROM pg_database WHERE datname = 'returns_bench_partner_api'"
            ).collect().first?.decode(Int.self)
        }
        #expect(left == 0)
    }

    @Test("bench reconcile with discrepancies: both report formats list as many discrepancies as psql's report rows, and a share over 100 is refused")
    func reconcileDiscrepancies() async throws {
        let database = try await TestDatabase.makeDatabase()
        let result = try await CLI.run(
            ["bench", "reconcile", "--lines", "400", "--discrepancies", "25", "--json"], database: database)
        #expect(result.code == 0, "\(result.text)")
        let answer = try CLI.json(result.output)
        // A quarter of the 400 lines name unknown refunds: 100 unknown lines and their 100 refunds missing.
        #expect(answer["baselineRows"] as? Int == 200, "\(answer)")
        let runs = try #require(answer["runs"] as? [[String: Any]])
        #expect(runs.map { $0["format"] as? String } == ["json", "csv"])
        for run in runs {
            #expect(run["discrepancies"] as? Int == 200, "\(run)")
            #expect(run["exitCode"] as? Int == 1, "\(run)")  // discrepancies found
            #expect((run["peakMegabytes"] as? Double ?? 0) > 0, "\(run)")
        }
        #expect(runs.first?["matched"] as? Int == 300)
        let refused = try await CLI.run(["bench", "reconcile", "--discrepancies", "101"], database: database)
        #expect(refused.code != 0 && refused.errors.contains("--discrepancies must be from 0 to 100"), "\(refused.text)")
    }
}
