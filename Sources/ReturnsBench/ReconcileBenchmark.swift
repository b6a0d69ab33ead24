import Foundation
import Logging
import ReturnsEngine
import ReturnsReconcile
import ReturnsStore

/// `returns bench reconcile`: a settlement file of N lines and the matching ledger in a scratch database, reconciled
/// by the `returns` binary, and, in the same run on the same data, psql doing `\copy` plus the same matching SQL.
public enum ReconcileBenchmark {
    public struct Result: Sendable, Codable {
        public var lines: Int
        public var fileMegabytes: Double
        public var seedSeconds: Double
        public var oursSeconds: Double
        public var baselineSeconds: Double
        public var ratio: Double { oursSeconds / baselineSeconds }
        /// The reconcile process's peak resident memory.
        public var peakMegabytes: Double
        public var matched: Int
        public var exitCode: Int32
    }

    static let database = "returns_bench_reconcile"

    /// Runs the benchmark on a scratch database of `server`, the generated file in a folder under `parent`; psql is
    /// looked for in `folders.postgresBinDirectory` first.
    public static func run(
        server: DatabaseSettings, lines: Int, binary: String, folder parent: String, folders: BenchmarkFolders,
        logger: Logger
    ) async throws -> Result {
        let folder = parent + "/returns-bench-reconcile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = server.with(database: database)
        try await Database.dropDatabase(database, on: server, logger: logger)
        try await Database.createDatabaseIfMissing(settings, logger: logger)
        do {
            let result = try await measure(
                settings: settings, lines: lines, binary: binary, folder: folder, folders: folders, logger: logger)
            try? await Database.dropDatabase(database, on: server, logger: logger)
            return result
        } catch {
            try? await Database.dropDatabase(database, on: server, logger: logger)
            throw error
        }
    }

    static func measure(
        settings: DatabaseSettings, lines: Int, binary: String, folder: String, folders: BenchmarkFolders,
        logger: Logger
    ) async throws -> Result {
        let file = folder + "/settlement-\(lines).csv"
        let psql = try locatePsql(binDirectory: folders.postgresBinDirectory)
        let catalog = WorkflowCatalog.load(folder: folders.workflows)
        let seedStart = Date()
        try await Database.with(settings, logger: logger) { db in
            try await Migrator(directory: folders.schema).migrate(db)
            try await Engine(database: db, catalog: catalog).deployWorkflows()
            let version = catalog.workflow(named: "standard")?.definition.version ?? 1
            try await ReconcileBenchmarkLedger.seed(lines: lines, workflowVersion: version, in: db)
        }
        try runPsql(
            psql, settings: settings, script: ReconcileBenchmarkLedger.exportScript(file: file), folder: folder,
            logger: logger)
        let seedSeconds = Date().timeIntervalSince(seedStart)
        let fileBytes = ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? Int) ?? 0

        // Ours: the real command, as a separate process, so its peak memory is its own.
        let report = folder + "/reconcile-report.json"
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url(settings)
        let before = childPeakKilobytes()
        let oursStart = Date()
        let code = try ChildProcess.run(
            binary, ["reconcile", "refunds", "--settlement", file, "--format", "json", "--output", report],
            in: FileManager.default.currentDirectoryPath, outputPath: folder + "/reconcile.log",
            environment: environment)
        let oursSeconds = Date().timeIntervalSince(oursStart)
        let peak = childPeakKilobytes()
        let summary =
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])?[
                "summary"] as? [String: Any]

        guard code == 0 || code == 1 else {
            throw ReconcileError.usage(
                "returns reconcile refunds failed (exit \(code)): "
                    + ((try? String(contentsOfFile: folder + "/reconcile.log", encoding: .utf8)) ?? ""))
        }
        let baselineStart = Date()
        try runPsql(
            psql, settings: settings, script: ReconcileBenchmarkLedger.baselineScript(file: file), folder: folder,
            logger: logger)
        let baselineSeconds = Date().timeIntervalSince(baselineStart)
        try? FileManager.default.removeItem(atPath: file)
        try? FileManager.default.removeItem(atPath: report)
        return Result(
            lines: lines, fileMegabytes: Double(fileBytes) / 1_048_576, seedSeconds: seedSeconds,
            oursSeconds: oursSeconds, baselineSeconds: baselineSeconds,
            peakMegabytes: Double(peak > before ? peak : before) / 1024, matched: summary?["matched"] as? Int ?? -1,
            exitCode: code)
    }

    static func runPsql(_ psql: String, settings: DatabaseSettings, script: String, folder: String, logger: Logger)
        throws
    {
        let path = folder + "/bench-\(UUID().uuidString).sql"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var arguments = [
            "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", "-f", path, "-U", settings.username,
            "-d", settings.database,
        ]
        switch settings.address {
        case .socket(let socket):
            let url = URL(fileURLWithPath: socket)
            arguments += [
                "-h", url.deletingLastPathComponent().path, "-p",
                String(url.lastPathComponent.split(separator: ".").last ?? "5432"),
            ]
        case .tcp(let host, let port):
            arguments += ["-h", host, "-p", String(port)]
        }
        var environment = ProcessInfo.processInfo.environment
        if let password = settings.password { environment["PGPASSWORD"] = password }
        let log = folder + "/psql.log"
        let code = try ChildProcess.run(
            psql, arguments, in: folder, outputPath: log, environment: environment)
        guard code == 0 else {
            throw ReconcileError.usage(
                "psql failed (exit \(code)): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    /// psql in `binDirectory` (the server binaries' folder the operator named), else beside the distributions' servers.
    static func locatePsql(binDirectory: String?) throws -> String {
        var candidates: [String] = []
        if let binDirectory { candidates.append(binDirectory + "/psql") }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(
            by: >)
        candidates += versions.map { "\(root)/\($0)/bin/psql" } + ["/usr/local/bin/psql", "/usr/bin/psql"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ReconcileError.usage(
                "psql not found (looked in \(candidates.joined(separator: ", "))); the baseline needs it")
        }
        return found
    }

    /// The largest peak resident set of any waited-for child so far, in kilobytes.
    static func childPeakKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return usage.ru_maxrss
    }

    static func url(_ settings: DatabaseSettings) -> String {
        switch settings.address {
        case .socket(let path):
            let url = URL(fileURLWithPath: path)
            let port = url.lastPathComponent.split(separator: ".").last ?? "5432"
            return
                "postgres://\(settings.username)@localhost:\(port)/\(settings.database)?host=\(url.deletingLastPathComponent().path)&sslmode=disable"
        case .tcp(let host, let port):
            let password = settings.password.map { ":\($0)" } ?? ""
            return
                "postgres://\(settings.username)\(password)@\(host):\(port)/\(settings.database)?sslmode=\(settings.tlsMode)"
        }
    }
}
