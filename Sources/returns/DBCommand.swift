import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsStore

struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Run the embedded PostgreSQL cluster; look after the database's size.",
        subcommands: [Start.self, Stop.self, Stats.self, Prune.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the embedded cluster and print how to reach it.")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let endpoint = try await reportingErrors {
                try Configuration.current.cluster.start()
            }
            if output.json {
                return try printJSON(
                    StartOutput(
                        socketDirectory: endpoint.socketDirectory, port: endpoint.port, user: EmbeddedCluster.superuser,
                        database: "returns"))
            }
            print(
                "embedded PostgreSQL is running: psql -h \(endpoint.socketDirectory) -p \(endpoint.port) -U \(EmbeddedCluster.superuser) returns"
            )
        }

        struct StartOutput: Encodable {
            var socketDirectory: String
            var port: Int
            var user: String
            var database: String
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster if it runs.")

        func run() async throws {
            let wasRunning = try await reportingErrors {
                try Configuration.current.cluster.stop()
            }
            print(wasRunning ? "embedded PostgreSQL stopped" : "embedded PostgreSQL was not running")
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print table sizes, dead tuples, the oldest pending work and how far the partitions reach.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let stats = try await database.withEngine { engine in try await engine.maintenance.databaseStats() }
            if output.json {
                try printJSON(stats)
                return
            }
            let byteFormatter = ByteCountFormatter()
            byteFormatter.countStyle = .binary
            print(
                Table(
                    header: ["table", "partitions", "size", "live", "dead", "last vacuum"],
                    rows: stats.tables.map {
                        [
                            $0.name, $0.partitions == 0 ? "" : "\($0.partitions)",
                            byteFormatter.string(fromByteCount: $0.totalBytes),
                            "\($0.liveTuples)", "\($0.deadTuples)", $0.lastVacuum?.shortText ?? "never",
                        ]
                    }
                ).text)
            print("")
            print(
                Table(
                    header: ["pending work", "count", "oldest waiting"],
                    rows: stats.pendingWork.map { [$0.kind, "\($0.count)", $0.oldestAgeSeconds.map(ageText) ?? "-"] }
                ).text)
            print("")
            let month = DateFormatter()
            month.dateFormat = "yyyy-MM"
            month.timeZone = TimeZone(identifier: "UTC")
            print(
                Table(
                    header: ["partitioned table", "partitions", "first month", "last month"],
                    rows: stats.partitions.map {
                        [
                            $0.table, "\($0.partitions)", month.string(from: $0.firstMonth),
                            month.string(from: $0.lastMonth),
                        ]
                    }
                ).text)
        }

        func ageText(_ seconds: Double) -> String {
            switch seconds {
            case ..<120: return "\(Int(seconds))s"
            case ..<7_200: return "\(Int(seconds / 60))m"
            case ..<172_800: return "\(Int(seconds / 3_600))h"
            default: return "\(Int(seconds / 86_400))d"
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete delivered notifications, settled timers and old idempotency keys once, and exit.",
            discussion: """
                The same pass the retention worker of `returns serve` makes on a schedule: rows go in small batches, \
                each its own transaction, skipping rows others hold locked. History (return_events), pending and \
                dead notifications, pending timers and refunds are never deleted. Ages are a whole number and a \
                unit: 14d, 12h, 30m, 90s. Defaults come from RETURNS_RETENTION_OUTBOX, RETURNS_RETENTION_TIMERS, \
                RETURNS_RETENTION_KEYS and RETURNS_RETENTION_BATCH, else 14d, 30d, 90d and 500.
                """)

        @Flag(name: .customLong("dry-run"), help: "Count what would be deleted; delete nothing.")
        var dryRun = false
        @Option(name: .customLong("outbox-age"), help: "Delete notifications delivered longer ago than this.")
        var outboxAge: String?
        @Option(name: .customLong("timer-age"), help: "Delete timers settled longer ago than this.")
        var timerAge: String?
        @Option(name: .customLong("key-age"), help: "Delete idempotency keys recorded longer ago than this.")
        var keyAge: String?
        @Option(name: .customLong("batch-size"), help: "Rows per DELETE (1 to 100000).")
        var batchSize: Int?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func settings() throws -> RetentionSettings {
            var settings: RetentionSettings
            do {
                settings = try Configuration.current.retention()
            } catch {
                throw ValidationError("\(error)")
            }
            func age(_ text: String?, _ flag: String) throws -> Duration? {
                guard let text else { return nil }
                guard let value = RetentionSettings.parseAge(text) else {
                    throw ValidationError("--\(flag) '\(text)' is not an age; write 14d, 12h, 30m or 90s")
                }
                return value
            }
            if let value = try age(outboxAge, "outbox-age") { settings.deliveredOutboxAge = value }
            if let value = try age(timerAge, "timer-age") { settings.settledTimerAge = value }
            if let value = try age(keyAge, "key-age") { settings.idempotencyKeyAge = value }
            if let batchSize {
                guard (1...100_000).contains(batchSize) else {
                    throw ValidationError("--batch-size must be from 1 to 100000")
                }
                settings.batchSize = batchSize
            }
            return settings
        }

        func run() async throws {
            let settings = try settings()
            let counts = try await database.withEngine { engine in
                dryRun ? try await engine.maintenance.prunable(settings) : try await engine.maintenance.prune(settings)
            }
            if output.json {
                try printJSON(PruneOutput(dryRun: dryRun, deleted: counts))
            } else {
                let verb = dryRun ? "would delete" : "deleted"
                var line =
                    "\(verb) \(counts.outbox) delivered notifications, \(counts.timers) settled timers, "
                    + "\(counts.idempotencyKeys) idempotency keys"
                if let partitions = counts.outboxPartitions {
                    line += "; dropped \(partitions) empty outbox partitions of past months"
                }
                print(line)
            }
        }
    }

    struct PruneOutput: Encodable {
        var dryRun: Bool
        var deleted: PruneCounts
    }
}
