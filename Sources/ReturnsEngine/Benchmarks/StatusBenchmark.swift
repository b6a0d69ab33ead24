import Foundation
import Logging
import ReturnsCore
import ReturnsStore

#if canImport(Glibc)
    import Glibc
#endif

/// Status lookups through a live `returns serve` on loopback, next to a static route of the same server.
///
/// Creates a scratch database with returns that have a short history, starts `returns serve` on it (a free port on
/// 127.0.0.1, workers off), and runs wrk twice for the same time with the same connections: once over `GET /v1/status/{token}` of those returns, once over `GET /health/live`, which answers without
/// the database. Stops the server and drops the database afterwards.
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
        /// Status lookups per second over static-route requests per second.
        public var ratio: Double
        public var command: String
    }

    public static func run(
        server: DatabaseSettings, returnsExecutable: String, seconds: Int, connections: Int, returns: Int = 1000,
        logger: Logger
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
            let tokens = try await seed(returns, settings: settings, logger: logger)
            let (pid, port) = try await startServer(returnsExecutable, settings: settings, folder: folder)
            defer {
                kill(pid, SIGTERM)
                _ = try? ChildProcess.wait(pid)
            }
            let base = "http://127.0.0.1:\(port)"
            let status = try measure(
                paths: tokens.map { "/v1/status/\($0)" }, label: "/v1/status/{token}", base: base, seconds: seconds,
                connections: connections, folder: folder)
            let live = try measure(
                paths: ["/health/live"], label: "/health/live", base: base, seconds: seconds, connections: connections,
                folder: folder)
            try await Database.dropDatabase(name, on: server, logger: logger)
            return Result(
                connections: connections, status: status, staticRoute: live,
                ratio: status.requestsPerSecond / live.requestsPerSecond,
                command: "wrk -t\(max(1, min(connections, 2))) -c\(connections) -d\(seconds)s --latency -s <paths in turn>")
        } catch {
            try? await Database.dropDatabase(name, on: server, logger: logger)
            throw error
        }
    }

    /// Returns on the standard workflow with three history lines each (created, issue_label, ship); their tokens.
    static func seed(_ count: Int, settings: DatabaseSettings, logger: Logger) async throws -> [String] {
        let catalog = WorkflowCatalog.load(folder: try WorkflowCatalog.locateFolder())
        guard catalog.isValid else { throw RuntimeError.invalidWorkflows(catalog.problems) }
        return try await Database.with(settings, logger: logger) { database in
            try await Migrator(directory: try Migrator.locateSchema()).migrate(database)
            let engine = Engine(database: database, catalog: catalog)
            try await engine.deployWorkflows()
            let item = try ReturnItem.parse("SHOE-42:1:89.90:EUR")
            return try await withThrowingTaskGroup(of: [String].self) { group in
                let workers = 8
                for worker in 0..<workers {
                    group.addTask {
                        var tokens: [String] = []
                        for number in stride(from: worker, to: count, by: workers) {
                            let created = try await engine.createReturn(
                                NewReturn(
                                    workflow: "standard", orderRef: "STATUS-\(number + 1)",
                                    customerEmail: "status\(number % 1000)@example.com", items: [item]))
                            for (event, data) in TransitionBenchmark.lifecycle.prefix(2) {
                                _ = try await engine.apply(event, to: created.id, actor: "bench", data: data)
                            }
                            tokens.append(created.token)
                        }
                        return tokens
                    }
                }
                var tokens: [String] = []
                for try await part in group { tokens += part }
                return tokens
            }
        }
    }

    /// Starts `returns serve --port 0 --no-workers` on the scratch database and waits for its "listening on" line.
    static func startServer(_ executable: String, settings: DatabaseSettings, folder: URL) async throws
        -> (pid: pid_t, port: Int)
    {
        let output = folder.appendingPathComponent("serve.out").path
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = settings.url
        let pid = try ChildProcess.spawn(
            executable, ["serve", "--host", "127.0.0.1", "--port", "0", "--no-workers"],
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

    /// One wrk run of `seconds` over `paths` in turn.
    static func measure(
        paths: [String], label: String, base: String, seconds: Int, connections: Int, folder: URL
    ) throws -> Phase {
        guard let wrk = locate("wrk") else {
            throw EngineError.invalidInput(
                field: "wrk", reason: "wrk is not on PATH; install it (Debian/Ubuntu: apt-get install wrk)")
        }
        let script = folder.appendingPathComponent("phase.lua")
        try """
        local paths = {
        \(paths.map { "\"\($0)\"" }.joined(separator: ",\n"))
        }
        local turn = 0
        request = function()
          turn = turn + 1
          return wrk.format("GET", paths[(turn % #paths) + 1])
        end
        """.write(to: script, atomically: true, encoding: .utf8)
        let threads = max(1, min(connections, 2))
        let output = folder.appendingPathComponent("wrk-\(UUID().uuidString).out").path
        let code = try ChildProcess.run(
            wrk, ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--timeout", "10s", "--latency", "-s", script.path, base],
            in: folder.path, outputPath: output)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard code == 0, let rate = number(after: "Requests/sec:", in: text) else {
            throw EngineError.invalidInput(field: "wrk", reason: "exit status \(code):\n\(text)")
        }
        let total = Int(firstNumber(in: text, before: " requests in") ?? 0)
        var errors = Int(number(after: "Non-2xx or 3xx responses:", in: text) ?? 0)
        if let line = text.split(separator: "\n").first(where: { $0.contains("Socket errors:") }) {
            errors += line.split(separator: ",").compactMap { part in
                part.split(separator: " ").last.flatMap { Int($0) }
            }.reduce(0, +)
        }
        return Phase(
            path: label, requests: total, seconds: Double(total) / rate, requestsPerSecond: rate,
            p50Milliseconds: latency("50%", in: text), p99Milliseconds: latency("99%", in: text), errors: errors)
    }

    /// A line of wrk's latency distribution, like `     99%    2.31ms`, in milliseconds.
    static func latency(_ label: String, in text: String) -> Double {
        guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }),
            let value = line.split(separator: " ").last
        else { return 0 }
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000)]
        for (suffix, factor) in units where value.hasSuffix(suffix) {
            if let number = Double(value.dropLast(suffix.count)) { return number * factor }
        }
        return 0
    }

    /// The number just before `label` on its line, like `12000` in `12000 requests in 3.00s`.
    static func firstNumber(in text: String, before label: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }),
            let range = line.range(of: label)
        else { return nil }
        return line[..<range.lowerBound].split(separator: " ").last.flatMap { Double($0) }
    }

    static func number(after label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        let rest = text[range.upperBound...].drop { $0 == " " }
        return Double(rest.prefix { $0.isNumber || $0 == "." })
    }


    static func locate(_ program: String) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return folders.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
