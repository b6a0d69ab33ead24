import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Deliver customer notifications from the outbox and look after them.",
        subcommands: [Drain.self, Run.self, List.self, Retry.self, Stats.self])

    /// Where and how messages go out.
    struct ChannelOptions: ParsableArguments {
        @Option(help: "webhook or spool (default: $RETURNS_NOTIFY_CHANNEL, else spool).")
        var channel: ChannelKind?
        @Option(name: .customLong("webhook-url"), help: "Where webhooks POST to (default: $RETURNS_WEBHOOK_URL).")
        var webhookURL: String?
        @Option(
            name: .customLong("webhook-secret"),
            help: "Shared HMAC secret, 16+ characters (default: $RETURNS_WEBHOOK_SECRET; prefer the variable).")
        var webhookSecret: String?
        @Option(
            name: .customLong("spool-dir"),
            help: "Where .eml files go (default: $RETURNS_SPOOL_DIR, else ./.returns/spool).")
        var spoolDir: String?
        @Option(help: "Seconds before a webhook request counts as failed.")
        var timeout = 10
        @Option(
            name: .customLong("public-url"),
            help: "Base of status_url (default: $RETURNS_PUBLIC_URL, else http://localhost:8080).")
        var publicURL: String?
        @Option(name: .customLong("max-attempts"), help: "Attempts before a message is parked as dead.")
        var maxAttempts = 8

        func validate() throws {
            guard (1...300).contains(timeout) else { throw ValidationError("--timeout must be 1 to 300 seconds") }
            guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1 to 100") }
        }

        /// The channel; `publicURL` is where customers are sent (default: this group's `--public-url` setting).
        func makeChannel(publicURL: String? = nil) throws -> any NotificationChannel {
            do {
                return try Configuration.current.channel(
                    kind: channel, webhookURL: webhookURL, webhookSecret: webhookSecret, spoolDirectory: spoolDir,
                    timeout: .seconds(timeout), publicURL: publicURL ?? settings.publicBaseURL
                ).makeChannel()
            } catch {
                printError("\(error)")
                throw ExitCode(64)
            }
        }

        var settings: NotificationSettings {
            NotificationSettings(
                publicBaseURL: Configuration.current.publicURL(flag: publicURL, fallback: "http://localhost:8080"),
                retry: RetryPolicy(maxAttempts: maxAttempts))
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver every notification that is due, once, and exit.",
            discussion: """
                Messages that fail are retried later with exponential backoff and jitter (not by this run), and are \
                parked as dead after --max-attempts. Safe to run beside other dispatchers: each message goes out \
                through one of them at a time, and one return's messages in the order they were written.
                """)

        @OptionGroup var channel: ChannelOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let target = try channel.makeChannel()
            let (report, stats) = try await database.withEngine { engine in
                let dispatcher = engine.outbox.makeDispatcher(channel: target, settings: channel.settings)
                return (try await dispatcher.drain(), try await engine.outbox.stats())
            }
            if output.json {
                try printJSON(DrainOutput(report: report, stats: stats))
            } else {
                print(
                    "delivered \(report.delivered) through \(target.name), \(report.failed) failed (retried later), "
                        + "\(report.dead) dead; \(stats.pending) pending, \(stats.dead) dead in all")
            }
        }

        struct DrainOutput: Encodable {
            var report: DrainReport
            var stats: OutboxStats
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the dispatcher until SIGINT or SIGTERM: woken by NOTIFY, polling as the fallback.")

        @OptionGroup var channel: ChannelOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let target = try channel.makeChannel()
            try await database.withEngine { engine in
                let dispatcher = engine.outbox.makeDispatcher(channel: target, settings: channel.settings)
                let started = "dispatching notifications through \(target.name); stop with Ctrl-C"
                // With --json, standard output holds only the figures printed at the end.
                if output.json { printError(started, prefix: "") } else { print(started) }
                try await NotificationService.runUntilSignalled(dispatcher, logger: engine.database.logger)
                let metrics = dispatcher.metrics.snapshot()
                if output.json { return try printJSON(metrics) }
                print(
                    "stopped: delivered \(metrics.delivered), failed attempts \(metrics.failed), dead \(metrics.dead)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List notifications, oldest first.")

        @Option(help: "Only notifications with this status.")
        var status: NotificationStatus?
        @Option(help: "At most this many (1 to 10000).")
        var limit = 100
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            try validateListLimit(limit)
        }

        func run() async throws {
            let entries = try await database.withEngine { engine in
                try await engine.outbox.entries(status: status?.rawValue, limit: limit)
            }
            if output.json {
                try printJSON(entries.map(NotificationView.init))
                return
            }
            if entries.isEmpty {
                print("no notifications" + (status.map { " with status \($0.rawValue)" } ?? ""))
                return
            }
            let rows = entries.map { entry in
                [
                    entry.messageID.uuidString.lowercased(), entry.returnID.uuidString.lowercased().prefix(8) + "…",
                    String(entry.seq), entry.template, entry.locale, entry.status, String(entry.attempts),
                    entry.status == "pending" ? "next " + entry.nextAttemptAt.shortText : "",
                    String((entry.lastError ?? "").prefix(60)),
                ]
            }
            print(
                Table(
                    header: [
                        "message id", "return", "seq", "template", "locale", "status", "attempts", "when", "last error",
                    ],
                    rows: rows
                ).text)
        }
    }

    /// A notification as the CLI prints it: ids in lowercase like everywhere else.
    struct NotificationView: Encodable {
        var messageID: String
        var returnID: String
        var seq: Int
        var template: String
        var locale: String
        var status: String
        var attempts: Int
        var nextAttemptAt: Date
        var lastError: String?
        var createdAt: Date
        var deliveredAt: Date?

        init(_ entry: OutboxEntry) {
            messageID = entry.messageID.uuidString.lowercased()
            returnID = entry.returnID.uuidString.lowercased()
            seq = entry.seq
            template = entry.template
            locale = entry.locale
            status = entry.status
            attempts = entry.attempts
            nextAttemptAt = entry.nextAttemptAt
            lastError = entry.lastError
            createdAt = entry.createdAt
            deliveredAt = entry.deliveredAt
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a dead notification (or one waiting for its retry) due now, with fresh attempts.")

        @Argument(help: "The notification's message id (see `returns notify list --status dead`).")
        var id: String?
        @Flag(name: .customLong("all-dead"), help: "Retry every dead notification.")
        var allDead = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if (id == nil) == !allDead { throw ValidationError("give a message id or --all-dead, not both") }
        }

        func run() async throws {
            if allDead {
                let count = try await database.withEngine { engine in try await engine.outbox.retryAllDead() }
                if output.json { return try printJSON(RetryOutput(retried: count)) }
                print("\(count) dead notification\(count == 1 ? "" : "s") pending again")
                return
            }
            guard let id, let messageID = UUID(uuidString: id) else {
                throw ValidationError(
                    "'\(id ?? "")' is not a message id; ids look like 3f2b8c1e-5d4a-4f6b-9c1d-2e3f4a5b6c7d")
            }
            try await database.withEngine { engine in try await engine.outbox.retry(messageID) }
            let shown = messageID.uuidString.lowercased()
            if output.json { return try printJSON(RetryOutput(retried: 1, messageID: shown)) }
            print("notification \(shown) is pending again, due now")
        }

        /// How many notifications are pending again; with a message id, which.
        struct RetryOutput: Encodable {
            var retried: Int
            var messageID: String?
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the outbox figures: pending, oldest pending age, delivered, failed attempts, dead.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let stats = try await database.withEngine { engine in try await engine.outbox.stats() }
            if output.json {
                try printJSON(stats)
            } else {
                print(
                    """
                    returns_notifications_pending \(stats.pending)
                    returns_notifications_oldest_pending_age_seconds \(String(format: "%.3f", stats.oldestPendingAgeSeconds))
                    returns_notifications_delivered_total \(stats.delivered)
                    returns_notifications_failed_attempts_total \(stats.failedAttempts)
                    returns_notifications_dead \(stats.dead)
                    """)
            }
        }
    }
}
