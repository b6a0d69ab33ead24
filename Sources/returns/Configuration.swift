import Foundation
import Logging
import ReturnsBench
import ReturnsEngine
import ReturnsStore

/// The one place `returns` reads its environment. Each setting resolves the same way: the command's flag, then the
/// variable, then the default. The libraries receive the typed result and never read the environment themselves;
/// the README's configuration table lists every variable named here (a test keeps the two in step).
struct Configuration: Sendable {
    /// This process's environment, read once.
    static let current = Configuration(environment: ProcessInfo.processInfo.environment)

    let environment: [String: String]

    /// A variable's value; empty counts as unset.
    func value(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    // MARK: - Database

    /// `--database-url`, else `DATABASE_URL`; nil means the embedded cluster.
    func databaseURL(flag: String?) -> String? { flag ?? environment["DATABASE_URL"] }

    /// The embedded cluster's folder: `RETURNS_HOME`, else `./.returns`.
    var home: String { value("RETURNS_HOME") ?? ".returns" }

    /// Where initdb and pg_ctl are, when the operator says so: `RETURNS_PG_BINDIR`.
    var postgresBinDirectory: String? { value("RETURNS_PG_BINDIR") }

    var cluster: EmbeddedCluster { EmbeddedCluster(home: home, binDirectory: postgresBinDirectory) }

    /// Connections one process may open: `--pool-size`, else `RETURNS_DB_POOL_SIZE`.
    func poolSize(flag: Int?) -> Int? { flag ?? environment["RETURNS_DB_POOL_SIZE"].flatMap(Int.init) }

    /// How long an engine transaction may wait for a lock and run one statement: `RETURNS_LOCK_TIMEOUT` (default
    /// 2s) and `RETURNS_STATEMENT_TIMEOUT` (default 30s), written 500ms, 2s or 1m; 0 or off for no limit.
    func transactionLimits() throws -> TransactionLimits {
        var limits = TransactionLimits.standard
        func limit(_ name: String) throws -> Duration?? {
            guard let text = value(name) else { return nil }
            guard let parsed = TransactionLimits.parse(text) else {
                throw ConfigurationError("\(name)='\(text)' is not a time limit; write 500ms, 2s or 1m, or 0 for none")
            }
            return parsed
        }
        if let lock = try limit("RETURNS_LOCK_TIMEOUT") { limits.lockTimeout = lock }
        if let statement = try limit("RETURNS_STATEMENT_TIMEOUT") { limits.statementTimeout = statement }
        return limits
    }

    /// `--read-database-url`, else `RETURNS_READ_DATABASE_URL`: a streaming replica for status lookups; nil for none.
    func readDatabaseURL(flag: String?) -> String? { flag ?? value("RETURNS_READ_DATABASE_URL") }

    /// The replica's settings, when a read URL is given: `RETURNS_READ_MAX_LAG` (default 5s) is how far behind the
    /// primary it may be before lookups bypass it.
    func readReplica(flag: String?) throws -> ReadReplicaSettings? {
        guard let text = readDatabaseURL(flag: flag) else { return nil }
        let connection: DatabaseSettings
        do { connection = try DatabaseSettings(url: text) } catch {
            throw ConfigurationError("RETURNS_READ_DATABASE_URL (--read-database-url) is not usable: \(error.reason)")
        }
        var settings = ReadReplicaSettings(connection: connection)
        if let lag = value("RETURNS_READ_MAX_LAG") {
            guard case .some(.some(let limit)) = TransactionLimits.parse(lag) else {
                throw ConfigurationError("RETURNS_READ_MAX_LAG='\(lag)' is not a time; write 500ms, 5s or 1m")
            }
            settings.maximumLag = limit
        }
        return settings
    }

    /// How long `returns serve` lets the database leave its heartbeat unanswered before taking its connections for
    /// dead: `RETURNS_DB_HEARTBEAT_TIMEOUT` (default 2s; 0 or off for no heartbeat).
    func heartbeatTimeout() throws -> Duration? {
        guard let text = value("RETURNS_DB_HEARTBEAT_TIMEOUT") else { return .seconds(2) }
        guard let parsed = TransactionLimits.parse(text) else {
            throw ConfigurationError("RETURNS_DB_HEARTBEAT_TIMEOUT='\(text)' is not a time; write 500ms, 2s, or off")
        }
        if let limit = parsed, limit < .milliseconds(200) {
            throw ConfigurationError("RETURNS_DB_HEARTBEAT_TIMEOUT='\(text)' is too short; 200ms at least")
        }
        return parsed
    }

    // MARK: - Folders shipped beside the binary

    /// `RETURNS_WORKFLOWS_DIR`, else `./Workflows`, else the one beside the sources.
    func workflowsFolder() throws -> URL {
        try ProjectFolder.locate("Workflows", explicit: value("RETURNS_WORKFLOWS_DIR"), variable: "RETURNS_WORKFLOWS_DIR")
    }

    /// `RETURNS_SCHEMA_DIR`, else `./Schema`, else the one beside the sources.
    func schemaFolder() throws -> URL {
        try ProjectFolder.locate("Schema", explicit: value("RETURNS_SCHEMA_DIR"), variable: "RETURNS_SCHEMA_DIR")
    }

    /// `RETURNS_BENCHMARKS_DIR`, else `./Benchmarks`, else the one beside the sources.
    func benchmarksFolder() throws -> URL {
        try ProjectFolder.locate(
            "Benchmarks", explicit: value("RETURNS_BENCHMARKS_DIR"), variable: "RETURNS_BENCHMARKS_DIR")
    }

    /// The folders a benchmark reads.
    func benchmarkFolders() throws -> BenchmarkFolders {
        BenchmarkFolders(
            schema: try schemaFolder(), workflows: try workflowsFolder(), postgresBinDirectory: postgresBinDirectory)
    }

    // MARK: - Logs

    /// Warnings and errors only, on standard error, unless `LOG_LEVEL` says otherwise.
    func logger(label: String = "returns") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = value("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    // MARK: - Serving

    func host(flag: String?) -> String { flag ?? value("HOST") ?? "127.0.0.1" }
    func port(flag: Int?) -> Int { flag ?? value("PORT").flatMap(Int.init) ?? 8080 }
    /// Where customers send their parcels (`RETURNS_RETURN_ADDRESS`, lines separated by `|`), for the return
    /// authorisation.
    var returnAddress: [String] {
        (value("RETURNS_RETURN_ADDRESS") ?? "").split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Where customers reach the service: `--public-url`, else `RETURNS_PUBLIC_URL`, else `fallback`.
    func publicURL(flag: String?, fallback: String) -> String { flag ?? value("RETURNS_PUBLIC_URL") ?? fallback }

    func refundProvider(flag: RefundProviderKind?) throws -> RefundProviderKind {
        if let flag { return flag }
        guard let text = value("RETURNS_REFUND_PROVIDER") else { return .ledger }
        guard let kind = RefundProviderKind(rawValue: text) else {
            throw ConfigurationError("RETURNS_REFUND_PROVIDER='\(text)' must be ledger or webhook")
        }
        return kind
    }

    func refundWebhookURL(flag: String?) -> String? { flag ?? value("RETURNS_REFUND_WEBHOOK_URL") }

    /// The shop's provider webhooks, each unset for the ledger: replacement orders (`RETURNS_EXCHANGE_WEBHOOK_URL`),
    /// charges and authorisations on the customer's payment (`RETURNS_CHARGE_WEBHOOK_URL`), gift cards for store
    /// credit (`RETURNS_GIFT_CARD_WEBHOOK_URL`).
    func providerWebhooks() throws -> ProviderWebhooks {
        func url(_ name: String, example: String) throws -> URL? {
            guard let text = value(name) else { return nil }
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError("\(name)='\(text)' is not an http(s) URL like \(example)")
            }
            return url
        }
        return ProviderWebhooks(
            exchangeOrders: try url("RETURNS_EXCHANGE_WEBHOOK_URL", example: "https://shop.example/exchanges"),
            charges: try url("RETURNS_CHARGE_WEBHOOK_URL", example: "https://payments.example/charges"),
            giftCards: try url("RETURNS_GIFT_CARD_WEBHOOK_URL", example: "https://shop.example/gift-cards"))
    }

    /// Where orders and catalog variants missing from the local tables are looked up: the shop's adapter at
    /// `RETURNS_ORDER_LOOKUP_URL` (unset: only the local tables; it answers `/orders/{ref}` and `/catalog/{sku}`),
    /// signed with `RETURNS_ORDER_LOOKUP_SECRET`, each attempt given `RETURNS_ORDER_LOOKUP_TIMEOUT` seconds.
    func shopLookup() throws -> ShopLookup? {
        guard let text = value("RETURNS_ORDER_LOOKUP_URL") else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ConfigurationError("RETURNS_ORDER_LOOKUP_URL='\(text)' is not an http(s) URL like https://shop.example/returns-api")
        }
        var timeout: TimeInterval = 5
        if let seconds = value("RETURNS_ORDER_LOOKUP_TIMEOUT") {
            guard let parsed = Double(seconds), parsed > 0, parsed <= 60 else {
                throw ConfigurationError("RETURNS_ORDER_LOOKUP_TIMEOUT='\(seconds)' must be seconds from 0.1 to 60")
            }
            timeout = parsed
        }
        return ShopLookup(base: url, secret: value("RETURNS_ORDER_LOOKUP_SECRET"), timeout: timeout)
    }

    /// `RETURNS_RETENTION_*`: ages such as `14d`, `12h`, `30m` or `90s`, and a batch size.
    func retention() throws -> RetentionSettings {
        var settings = RetentionSettings()
        func age(_ name: String) throws -> Duration? {
            guard let text = value(name) else { return nil }
            guard let age = RetentionSettings.parseAge(text) else {
                throw ConfigurationError("\(name)='\(text)' is not an age; write 14d, 12h, 30m or 90s")
            }
            return age
        }
        if let age = try age("RETURNS_RETENTION_OUTBOX") { settings.deliveredOutboxAge = age }
        if let age = try age("RETURNS_RETENTION_TIMERS") { settings.settledTimerAge = age }
        if let age = try age("RETURNS_RETENTION_KEYS") { settings.idempotencyKeyAge = age }
        if let age = try age("RETURNS_RETENTION_INTERVAL") { settings.interval = age }
        if let text = value("RETURNS_RETENTION_BATCH") {
            guard let batch = Int(text), (1...100_000).contains(batch) else {
                throw ConfigurationError("RETURNS_RETENTION_BATCH='\(text)' must be a whole number from 1 to 100000")
            }
            settings.batchSize = batch
        }
        return settings
    }

    // MARK: - Notifications

    /// The channel notifications go out through: flags, then `RETURNS_NOTIFY_CHANNEL`, `RETURNS_WEBHOOK_URL`,
    /// `RETURNS_WEBHOOK_SECRET`, `RETURNS_SPOOL_DIR`, `RETURNS_MAIL_FROM`. Mails' `Message-ID`s are on the host of
    /// `publicURL`, the address the customers are sent to.
    func channel(
        kind: ChannelKind?, webhookURL: String?, webhookSecret: String?, spoolDirectory: String?, timeout: Duration,
        publicURL: String
    ) throws -> ChannelSettings {
        let kind = try kind ?? value("RETURNS_NOTIFY_CHANNEL").map { text in
            guard let kind = ChannelKind(rawValue: text) else {
                throw ConfigurationError("RETURNS_NOTIFY_CHANNEL='\(text)' must be webhook or spool")
            }
            return kind
        } ?? .spool
        switch kind {
        case .webhook:
            return .webhook(
                url: webhookURL ?? value("RETURNS_WEBHOOK_URL"), secret: webhookSecret ?? value("RETURNS_WEBHOOK_SECRET"),
                timeout: timeout)
        case .spool:
            return .spool(
                directory: spoolDirectory ?? value("RETURNS_SPOOL_DIR") ?? "./.returns/spool",
                from: value("RETURNS_MAIL_FROM") ?? "Returns <returns@localhost>",
                messageIDDomain: URL(string: publicURL)?.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost")
        }
    }
}

/// A variable's value that cannot be used, said with its name.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
