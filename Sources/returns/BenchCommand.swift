import ArgumentParser
import Foundation
import ReturnsBench
import ReturnsEngine
import ReturnsStore
import WebhookSink

struct BenchCommand: AsyncParsableCommand {
    /// This very binary, which the benchmarks start again (`returns serve`, `returns reconcile`).
    static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks against the embedded PostgreSQL (or DATABASE_URL).",
        subcommands: [Notify.self, Transitions.self, Status.self, PartnerAPI.self, BenchReconcileCommand.self])

    struct Notify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Notification delivery throughput to a signed-webhook receiver on 127.0.0.1.",
            discussion: """
                For each dispatcher count: creates a scratch database on the server, seeds --returns returns with \
                --per-return notifications each, runs that many dispatchers at once until all are delivered, prints \
                messages per second, and drops the scratch database. Real outboxes are never touched.
                """)

        @Option(help: "Dispatcher counts to measure, comma-separated.")
        var dispatchers = "1,2"
        @Option(help: "Returns to seed.")
        var returns = 500
        @Option(name: .customLong("per-return"), help: "Notifications per return.")
        var perReturn = 10
        @Option(name: .customLong("batch-size"), help: "Messages a dispatcher claims per transaction.")
        var batchSize = 50
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let counts = dispatchers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ (1...16).contains($0) }) else {
                throw ValidationError("--dispatchers takes counts from 1 to 16, like 1,2")
            }
            let secret = "bench-secret-\(UUID().uuidString)"
            let sink = WebhookSink(secret: secret)
            let url = try await sink.start()
            var results: [NotificationBenchmark.Result] = []
            do {
                results = try await reportingErrors {
                    let server = try await database.settings()
                    var results: [NotificationBenchmark.Result] = []
                    for count in counts {
                        results.append(
                            try await NotificationBenchmark.run(
                                server: server, dispatchers: count, returns: returns, perReturn: perReturn,
                                batchSize: batchSize, channel: WebhookChannel(url: url, secret: secret),
                                folders: try Configuration.current.benchmarkFolders(),
                                logger: Configuration.current.logger()))
                    }
                    return results
                }
            } catch {
                try? await sink.stop()
                throw error
            }
            try await sink.stop()
            let invalid = sink.deliveries.filter { !$0.signatureValid }.count
            if output.json {
                try printJSON(results)
            } else {
                for result in results {
                    print(
                        "\(result.dispatchers) dispatcher\(result.dispatchers == 1 ? "" : "s"): \(result.messages) "
                            + "messages in \(String(format: "%.2f", result.seconds)) s = "
                            + "\(String(format: "%.0f", result.messagesPerSecond)) messages/s")
                }
                print(
                    "receiver: \(sink.deliveries.count) requests, \(invalid) with a bad signature, at most "
                        + "\(sink.maxInFlightPerMessage) at once for one message")
            }
        }
    }

    struct Transitions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Transitions per second through the engine, next to pgbench running the same SQL.",
            discussion: """
                Creates the scratch database returns_bench_transitions on the server, drives --returns returns \
                through the whole standard lifecycle (9 transitions each) with --concurrency workers, then runs \
                pgbench -M prepared with as many clients and transactions on the scripts in \
                Benchmarks/transitions/ (the engine's own SQL of each step), then on \
                Benchmarks/pgbench/transition.sql (the least a transition needs: lock, compare-and-set, event, \
                outbox, timer, notify), and prints the three rates and the engine's ratio to each. The scratch \
                database is dropped afterwards; your returns are never touched.
                """)

        @Option(help: "Returns to drive through the lifecycle.")
        var returns = 1000
        @Option(help: "Engine workers, and pgbench clients.")
        var concurrency = 8
        @Flag(name: .customLong("keep-database"), help: "Keep returns_bench_transitions for inspection.")
        var keepDatabase = false
        @OptionGroup var preload: PreloadOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...1_000_000).contains(returns) else {
                throw ValidationError("--returns must be from 1 to 1000000")
            }
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 64") }
        }

        func run() async throws {
            let result = try await reportingErrors {
                let server = try await database.settings()
                return try await TransitionBenchmark.run(
                    server: server, returns: returns, concurrency: concurrency,
                    benchmarks: try Configuration.current.benchmarksFolder(),
                    keepDatabase: keepDatabase, preload: preload.returns, folders: try Configuration.current.benchmarkFolders(),
                    logger: Configuration.current.logger())
            }
            if output.json {
                try printJSON(result)
                return
            }
            let engine = result
            print(
                "database: \(engine.database) (fsync \(engine.fsync), synchronous_commit \(engine.synchronousCommit))")
            preload.describe(result.preloaded)
            print(
                "engine:  \(engine.transitions) transitions of \(engine.returns) returns, \(engine.concurrency) "
                    + "worker\(engine.concurrency == 1 ? "" : "s") "
                    + "in \(format(engine.seconds, 2)) s = \(format(engine.transitionsPerSecond, 0)) transitions/s; "
                    + "p50 \(format(engine.p50Milliseconds, 2)) ms, p99 \(format(engine.p99Milliseconds, 2)) ms")
            for (label, run) in [("pgbench, the engine's statements:", result.pgbench), ("pgbench, the minimal transition:", result.minimal)] {
                print(
                    "\(label) \(run.transactions) transactions, \(run.clients) clients, "
                        + "\(run.failed) failed = \(format(run.transactionsPerSecond, 0)) transactions/s; "
                        + "p50 \(format(run.p50Milliseconds, 2)) ms, p99 \(format(run.p99Milliseconds, 2)) ms")
                print("  \(run.command)")
            }
            print("ratio engine / the engine's statements: \(format(engine.ratio, 2))")
            print("ratio engine / the minimal transition:  \(format(engine.ratioToMinimal, 2))")
        }

        func format(_ value: Double, _ digits: Int) -> String {
            String(format: "%.\(digits)f", value)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Status lookups per second through a live returns serve, next to a static route.",
            discussion: """
                Creates the scratch database returns_bench_status with --returns returns, starts `returns serve` \
                on it on a free port of 127.0.0.1, and sends through --connections keep-alive HTTP/1.1 \
                connections (its own client, one request in flight per connection) --requests requests over GET /v1/status/{token} of those returns in turn, then as \
                many over GET /health/live, which does not touch the database (after a warm-up of up to 500 status \
                lookups). Prints both rates, p50/p99 and the ratio; stops the server and drops the scratch database. \
                Build with -c release for figures that mean something.
                """)

        @Option(help: "Requests per route.")
        var requests = 20_000
        @Option(help: "Concurrent HTTP connections.")
        var connections = 8
        @Option(help: "Returns whose status is looked up, in turn.")
        var returns = 1000
        @Flag(name: .customLong("keep-database"), help: "Keep returns_bench_status for inspection or other load tools.")
        var keepDatabase = false
        @OptionGroup var preload: PreloadOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...10_000_000).contains(requests) else {
                throw ValidationError("--requests must be from 1 to 10000000")
            }
            guard (1...1000).contains(connections) else {
                throw ValidationError("--connections must be from 1 to 1000")
            }
            guard (1...100_000).contains(returns) else { throw ValidationError("--returns must be from 1 to 100000") }
        }

        func run() async throws {
            let result = try await reportingErrors {
                let server = try await database.settings()
                return try await StatusBenchmark.run(
                    server: server, returnsExecutable: BenchCommand.ownExecutable, requests: requests,
                    connections: connections,
                    returns: returns, keepDatabase: keepDatabase, preload: preload.returns,
                    folders: try Configuration.current.benchmarkFolders(),
                    logger: Configuration.current.logger())
            }
            if output.json {
                try printJSON(result)
                return
            }
            preload.describe(result.preloaded)
            for phase in [result.status, result.staticRoute] {
                print(
                    "GET \(phase.path): \(phase.requests) requests, \(result.connections) connections, "
                        + "\(phase.errors) errors = \(String(format: "%.0f", phase.requestsPerSecond)) requests/s; "
                        + "p50 \(String(format: "%.2f", phase.p50Milliseconds)) ms, "
                        + "p99 \(String(format: "%.2f", phase.p99Milliseconds)) ms")
            }
            print("ratio status/static: \(String(format: "%.2f", result.ratio))")
        }
    }

    struct PartnerAPI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "partner-api",
            abstract: "A partner's scans, receipts and inspections through a live returns serve, next to the engine.",
            discussion: """
                Creates the scratch database returns_bench_partner_api with one partner and twice --returns \
                returns routed to it, their labels issued. Each return gets what a partner sends, in order: the \
                pickup scan, an in-transit scan, the receipt and the inspection (6 transitions), each under an \
                Idempotency-Key of its own. The first --returns returns get them through the engine directly with \
                --connections workers; then `returns serve` starts on a free port of 127.0.0.1 with the same pool \
                size and the other returns get them as POST /v1/partner/returns/{id}/... over --connections \
                keep-alive HTTP/1.1 connections (one request in flight on each). Prints both rates in reports per \
                second with p50/p99, how many returns reached refund_pending, and the ratio; stops the server and \
                drops the scratch database. Build with -c release for figures that mean something.
                """)

        @Option(help: "Returns per phase (4 reports each).")
        var returns = 1000
        @Option(help: "Concurrent HTTP connections, and engine workers.")
        var connections = 16
        @OptionGroup var preload: PreloadOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...1_000_000).contains(returns) else { throw ValidationError("--returns must be from 1 to 1000000") }
            guard (1...200).contains(connections) else { throw ValidationError("--connections must be from 1 to 200") }
        }

        func run() async throws {
            let result = try await reportingErrors {
                let server = try await database.settings()
                return try await PartnerAPIBenchmark.run(
                    server: server, returnsExecutable: BenchCommand.ownExecutable, returns: returns,
                    connections: connections,
                    preload: preload.returns, folders: try Configuration.current.benchmarkFolders(),
                    logger: Configuration.current.logger())
            }
            if output.json {
                try printJSON(result)
                return
            }
            preload.describe(result.preloaded)
            for phase in [result.engine, result.http] {
                let rate = String(format: "%.0f reports/s; p50 %.2f ms, p99 %.2f ms", phase.reportsPerSecond,
                    phase.p50Milliseconds, phase.p99Milliseconds)
                let counts = "\(phase.reports) reports on \(result.returns) returns, \(result.connections) at once, "
                    + "\(phase.errors) errors, \(phase.finished) returns at refund_pending"
                print("\(phase.label): \(counts) = \(rate)")
            }
            print("pool: \(result.poolSize) connections each")
            print("ratio HTTP/engine: \(String(format: "%.2f", result.ratio))")
        }
    }
}

/// `--preload N`: finished returns with their history written before a benchmark measures (`HistoryPreload`).
struct PreloadOption: ParsableArguments {
    @Option(
        name: .customLong("preload"),
        help: "Finished returns (with their history) to write into the scratch database before measuring.")
    var returns = 0

    func validate() throws {
        guard (0...100_000_000).contains(returns) else { throw ValidationError("--preload must be from 0 to 100000000") }
    }

    func describe(_ outcome: HistoryPreload.Outcome?) {
        guard let outcome else { return }
        print(
            "preloaded: \(outcome.returns) finished returns with their history in "
                + String(format: "%.1f s; database %.0f MB", outcome.seconds, outcome.databaseMegabytes))
    }
}
