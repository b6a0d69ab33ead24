import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsHTTP
import ReturnsStore
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service and the engine's workers until SIGTERM or SIGINT.",
        discussion: """
            One process serves the customer, partner and finance APIs, the status page, /health and /metrics, and \
            runs the timer worker, the notification dispatcher, the refund worker and the retention worker \
            (RETURNS_RETENTION_* variables). Run as many as needed against \
            one database: workers share the work through row locks. Migrations are applied at start. SIGTERM \
            stops taking connections, finishes the requests in flight, then stops the workers.
            """)

    @Option(help: "Address to listen on (default: $HOST, else 127.0.0.1; 0.0.0.0 for every interface).")
    var host: String?
    @Option(help: "Port to listen on (default: $PORT, else 8080; 0 picks a free one).")
    var port: Int?
    @Option(
        name: .customLong("pool-size"),
        help: "Database connections this process may open (default: $RETURNS_DB_POOL_SIZE, else 20).")
    var poolSizeFlag: Int?
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted.")
    var maxBodyBytes = 64 * 1024
    @Flag(inversion: .prefixedNo, help: "Run the timer, notification and refund workers in this process.")
    var workers = true
    @Option(
        name: .customLong("refund-provider"),
        help: "ledger or webhook (default: $RETURNS_REFUND_PROVIDER, else ledger).")
    var refundProvider: RefundProviderKind?
    @Option(
        name: .customLong("refund-webhook-url"),
        help: "The payment adapter's URL for --refund-provider webhook (default: $RETURNS_REFUND_WEBHOOK_URL).")
    var refundWebhookURL: String?
    @Option(
        name: .customLong("read-database-url"),
        help: ArgumentHelp(
            "A streaming replica for status lookups (default: $RETURNS_READ_DATABASE_URL; none: all reads on the primary).",
            valueName: "url"))
    var readDatabaseURL: String?
    @OptionGroup var channel: NotifyCommand.ChannelOptions
    @OptionGroup var database: DatabaseOptions

    var environment: Configuration { .current }

    func validate() throws {
        let port = environment.port(flag: port)
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard (1...500).contains(poolSize) else { throw ValidationError("--pool-size must be 1 to 500") }
        guard (1024...(16 << 20)).contains(maxBodyBytes) else {
            throw ValidationError("--max-body-bytes must be 1024 to 16777216")
        }
        let provider: RefundProviderKind
        do { provider = try environment.refundProvider(flag: refundProvider) } catch {
            throw ValidationError("--refund-provider must be ledger or webhook (\(error))")
        }
        if provider == .webhook, webhookURL == nil {
            throw ValidationError("--refund-provider webhook needs --refund-webhook-url http(s)://...")
        }
    }

    var poolSize: Int { environment.poolSize(flag: poolSizeFlag) ?? 20 }
    var webhookURL: URL? {
        environment.refundWebhookURL(flag: refundWebhookURL).flatMap(URL.init(string:)).flatMap {
            $0.scheme == nil ? nil : $0
        }
    }

    func run() async throws {
        guard OpenAPIDocument.bundled != nil else {
            printError(
                "the OpenAPI document is missing: install the returns_ReturnsHTTP.resources folder beside the binary")
            throw ExitCode(69)
        }
        let host = environment.host(flag: host)
        let port = environment.port(flag: port)
        // Links in answers and notifications point at this server unless a public URL is configured.
        let publicURL = environment.publicURL(flag: channel.publicURL, fallback: "http://\(host):\(port)")
        let server = ServerConfiguration(
            host: host, port: port, publicBaseURL: publicURL, maxBodyBytes: maxBodyBytes,
            returnAddress: environment.returnAddress)
        var settings = App.ServeSettings(server: server, poolSize: poolSize, workers: nil)
        if workers {
            let retention: RetentionSettings
            let provider: RefundProviderKind
            do {
                retention = try environment.retention()
                provider = try environment.refundProvider(flag: refundProvider)
            } catch {
                printError("\(error)")
                throw ExitCode(64)
            }
            var notifications = channel.settings
            notifications.publicBaseURL = publicURL
            settings.workers = .init(
                channel: try channel.makeChannel(publicURL: publicURL), notifications: notifications, refundProvider: provider,
                refundWebhookURL: webhookURL, retention: retention)
        }
        let logger = environment.logger(label: "returns.serve")
        try await reportingErrors {
            try await App.withEngine(
                databaseURL: database.resolvedURL, poolSize: poolSize,
                readReplica: try environment.readReplica(flag: readDatabaseURL),
                heartbeatTimeout: try environment.heartbeatTimeout(), logger: logger
            ) { engine in
                let workers =
                    settings.workers.map {
                        "timers+notifications(\($0.channel.name))+refunds(\($0.refundProvider.rawValue))+retention"
                    } ?? "off"
                FileHandle.standardOutput.write(Data(
                    """
                    returns serve: database \(engine.database.settings.description), pool \(poolSize), \
                    read replica \(engine.database.replica.map { "\($0.settings.connection.description) (lag limit \($0.settings.maximumLag))" } ?? "none"), \
                    workers \(workers), public URL \(server.publicBaseURL), max body \(maxBodyBytes) bytes

                    """.utf8))
                try await App.serviceGroup(
                    engine: engine, settings: settings, logger: logger,
                    onServerRunning: { port in
                        // Unbuffered, so a supervisor or test reading the output sees it at once.
                        FileHandle.standardOutput.write(Data("listening on http://\(server.host):\(port)\n".utf8))
                    }
                ).run()
                print("stopped")
            }
        }
    }
}
