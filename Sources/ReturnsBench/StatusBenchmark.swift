import Foundation
import Logging
import ReturnsCore
import ReturnsEngine
import ReturnsStore

#if canImport(Glibc)
    import Glibc
#endif

/// Status lookups through a live `returns serve` on loopback, next to a static route of the same server.
///
/// Creates a scratch database with returns that have a short history, starts `returns serve` on it (a free port on
/// 127.0.0.1, workers off), and sends the same number of requests twice through the same number of keep-alive
/// connections (`HTTPLoad`): once over `GET /v1/status/{token}` of those returns in turn, once over
/// `GET /health/live`, which answers without the database. Stops the server and drops the database afterwards.
public enum StatusBenchmark {
    public struct Phase: Sendable, Codable {
        public var path: String
        public var requests: Int
        public var seconds: Double
        public var requestsPerSecond: Double
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        /// Answers other than 2xx or 3xx, and socket errors.
        public var errors: Int
    }

    public struct Result: Sendable, Codable {
        public var connections: Int
        public var status: Phase
        public var staticRoute: Phase
        /// The finished returns written before measuring (`--preload`), if any.
        public var preloaded: HistoryPreload.Outcome?
        /// Status lookups per second over static-route requests per second.
        public var ratio: Double
        public var command: String
    }

    public static func run(
        server: DatabaseSettings, returnsExecutable: String, requests: Int, connections: Int, returns: Int = 1000,
        keepDatabase: Bool = false, preload: Int = 0, folders: BenchmarkFolders, logger: Logger
    ) async throws -> Result {
        let name = "returns_bench_status"
        var settings = server.with(database: name)
        settings.maximumConnections = 8
        try await Database.dropDatabase(name, on: server, logger: logger)
        try await Database.createDatabaseIfMissing(settings, logger: logger)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("returns-bench-status-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let (tokens, preloaded) = try await seed(
                returns, preload: preload, settings: settings, folders: folders, logger: logger)
            let (pid, port) = try await startServer(returnsExecutable, settings: settings, folder: folder)
            defer {
                kill(pid, SIGTERM)
                _ = try? ChildProcess.wait(pid)
            }
            let statusPaths = tokens.map { "/v1/status/\($0)" }
            // A short warm-up, so both phases meet a server whose connections and caches are up.
            _ = measure(
                paths: statusPaths, label: "warm-up", port: port, requests: min(requests, 500),
                connections: connections)
            let status = measure(
                paths: statusPaths, label: "/v1/status/{token}", port: port, requests: requests,
                connections: connections)
            let live = measure(
                paths: ["/health/live"], label: "/health/live", port: port, requests: requests,
                connections: connections)
            if !keepDatabase { try await Database.dropDatabase(name, on: server, logger: logger) }
            return Result(
                connections: connections, status: status, staticRoute: live, preloaded: preloaded,
                ratio: status.requestsPerSecond / live.requestsPerSecond,
                command: "\(requests) GET requests per route over \(connections) keep-alive connections "
                    + "(HTTP/1.1, one request in flight per connection)")
        } catch {
            if !keepDatabase { try? await Database.dropDatabase(name, on: server, logger: logger) }
            throw error
        }
    }

    /// Returns on the standard workflow with three history lines each (created, issue_label, ship); their tokens.
    static func seed(_ count: Int, preload: Int, settings: DatabaseSettings, folders: BenchmarkFolders, logger: Logger)
        async throws -> (tokens: [String], preloaded: HistoryPreload.Outcome?)
    {
        let catalog = WorkflowCatalog.load(folder: folders.workflows)
        try catalog.requireValid()
        return try await Database.with(settings, logger: logger) { database in
            try await Migrator(directory: folders.schema).migrate(database)
            let engine = Engine(database: database, catalog: catalog)
            try await engine.deployWorkflows()
            let preloaded = try await HistoryPreload.preloadIfAsked(preload, catalog: catalog, on: database)
            let item = try ReturnItem.parse("SHOE-42:1:89.90:EUR")
            return try await withThrowingTaskGroup(of: [String].self) { group in
                let workers = 8
                for worker in 0..<workers {
                    group.addTask {
                        var tokens: [String] = []
                        for number in stride(from: worker, to: count, by: workers) {
                            let created = try await engine.transitions.create(
                                NewReturn(
                                    workflow: "standard", orderRef: "STATUS-\(number + 1)",
                                    customerEmail: "status\(number % 1000)@example.com", items: [item]))
                            for (event, data) in TransitionBenchmark.lifecycle.prefix(2) {
                                _ = try await engine.transitions.apply(event, to: created.id, actor: "bench", data: data)
                            }
                            tokens.append(created.token)
                        }
                        return tokens
                    }
                }
                var tokens: [String] = []
                for try await part in group { tokens += part }
                return (tokens, preloaded)
            }
        }
    }

    /// Starts `returns serve --port 0 --no-workers` on the scratch database (with `--pool-size` when given) and waits
    /// for its "listening on" line.
    static func startServer(_ executable: String, settings: DatabaseSettings, folder: URL, poolSize: Int? = nil)
        async throws -> (pid: pid_t, port: Int)
    {
        let output = folder.appendingPathComponent("serve.out").path
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = settings.url
        let pid = try ChildProcess.spawn(
            executable,
            ["serve", "--host", "127.0.0.1", "--port", "0", "--no-workers"] + (poolSize.map { ["--pool-size", "\($0)"] } ?? []),
            in: FileManager.default.currentDirectoryPath, outputPath: output, environment: environment)
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                return (pid, port)
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw EngineError.invalidInput(field: "returns serve", reason: "it stopped before listening:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGTERM)
        _ = try? ChildProcess.wait(pid)
        throw EngineError.invalidInput(field: "returns serve", reason: "it did not listen within 60 seconds")
    }

    /// `requests` GETs over `paths` in turn through `connections` keep-alive connections.
    static func measure(paths: [String], label: String, port: Int, requests: Int, connections: Int) -> Phase {
        let outcome = HTTPLoad(port: port, connections: connections).run(scripts: requests) {
            [.get(paths[$0 % paths.count])]
        }
        return Phase(
            path: label, requests: outcome.requests, seconds: outcome.seconds,
            requestsPerSecond: Double(outcome.requests) / outcome.seconds, p50Milliseconds: outcome.percentile(0.50),
            p99Milliseconds: outcome.percentile(0.99), errors: outcome.errors)
    }

}
