import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsStore
import WebhookSink

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks against the embedded PostgreSQL (or DATABASE_URL).",
        subcommands: [Notify.self, BenchReconcileCommand.self])

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
                    let server = try await Database.settings(databaseURL: database.resolvedURL, home: database.home)
                    var results: [NotificationBenchmark.Result] = []
                    for count in counts {
                        results.append(
                            try await NotificationBenchmark.run(
                                server: server, dispatchers: count, returns: returns, perReturn: perReturn,
                                batchSize: batchSize, channel: WebhookChannel(url: url, secret: secret),
                                templatesFolder: try WorkflowCatalog.locateFolder().appendingPathComponent(
                                    "notifications"),
                                logger: Runtime.logger()))
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
}
