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
    var poolSize: Int?
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted.")
    var maxBodyBytes = 64 * 1024
    @Flag(inversion: .prefixedNo, help: "Run the timer, notification and refund workers in this process.")
    var workers = true
    @Option(
        name: .customLong("refund-provider"),
        help: "ledger or webhook (default: $RETURNS_REFUND_PROVIDER, else ledger).")
    var refundProvider: String?
    @Option(
        name: .customLong("refund-webhook-url"),
        help: "The payment adapter's URL for --refund-provider webhook (default: $RETURNS_REFUND_WEBHOOK_URL).")
    var refundWebhookURL: String?
    @OptionGroup var channel: NotifyCommand.ChannelOptions
    @OptionGroup var database: DatabaseOptions

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func validate() throws {
        guard (0...65535).contains(resolvedPort) else { throw ValidationError("--port must be 0 to 65535") }
        guard (1...500).contains(resolvedPoolSize) else { throw ValidationError("--pool-size must be 1 to 500") }
        guard (1024...(16 << 20)).contains(maxBodyBytes) else {
            throw ValidationError("--max-body-bytes must be 1024 to 16777216")
        }
        guard ["ledger", "webhook"].contains(resolvedRefundProvider) else {
            throw ValidationError("--refund-provider must be ledger or webhook")
        }
        if resolvedRefundProvider == "webhook", resolvedRefundWebhookURL.flatMap(URL.init(string:))?.scheme == nil {
            throw ValidationError("--refund-provider webhook needs --refund-webhook-url http(s)://...")
        }
    }

    var resolvedHost: String { host ?? environment["HOST"] ?? "127.0.0.1" }
    var resolvedPort: Int { port ?? environment["PORT"].flatMap(Int.init) ?? 8080 }
    var resolvedPoolSize: Int { poolSize ?? environment["RETURNS_DB_POOL_SIZE"].flatMap(Int.init) ?? 20 }
    var resolvedRefundProvider: String { refundProvider ?? environment["RETURNS_REFUND_PROVIDER"] ?? "ledger" }
    var resolvedRefundWebhookURL: String? { refundWebhookURL ?? environment["RETURNS_REFUND_WEBHOOK_URL"] }

    func run() async throws {
        guard OpenAPIDocument.bundled != nil else {
            printError(
                "the OpenAPI document is missing: install the returns_ReturnsHTTP.resources folder beside the binary")
            throw ExitCode(69)
        }
        let retention: RetentionSettings
        do { retention = try RetentionSettings(environment: environment) } catch {
            printError(error.description)
            throw ExitCode(64)
        }
        let target = try channel.makeChannel()
        var settings = channel.settings
        // Links in answers and notifications point at this server unless a public URL is configured.
        let publicURL = channel.publicURL ?? environment["RETURNS_PUBLIC_URL"] ?? "http://\(resolvedHost):\(resolvedPort)"
        settings.publicBaseURL = publicURL
        let server = ServerConfiguration(
            host: resolvedHost, port: resolvedPort, publicBaseURL: publicURL, maxBodyBytes: maxBodyBytes)
        let logger = Runtime.logger(label: "returns.serve")
        try await reportingErrors {
            try await Runtime.withEngine(
                databaseURL: database.resolvedURL, home: database.home, poolSize: resolvedPoolSize, logger: logger
            ) { engine in
                var services: [any Service] = []
                if workers {
                    let provider: any RefundProvider =
                        resolvedRefundProvider == "webhook"
                        ? WebhookRefundProvider(url: URL(string: resolvedRefundWebhookURL ?? "")!)
                        : LedgerProvider(database: engine.database)
                    services = [
                        TimerWorker(engine: engine), try engine.makeDispatcher(channel: target, settings: settings),
                        RefundWorker(engine: engine, provider: provider), RetentionWorker(engine: engine, settings: retention),
                    ]
                }
                FileHandle.standardOutput.write(Data(
                    """
                    returns serve: database \(engine.database.settings.description), pool \(resolvedPoolSize), \
                    workers \(workers ? "timers+notifications(\(target.name))+refunds(\(resolvedRefundProvider))+retention" : "off"), \
                    public URL \(server.publicBaseURL), max body \(maxBodyBytes) bytes

                    """.utf8))
                try await Server.makeGroup(
                    engine: engine, configuration: server, workers: services,
                    migrator: try Migrator(directory: try Migrator.locateSchema()), logger: logger,
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
