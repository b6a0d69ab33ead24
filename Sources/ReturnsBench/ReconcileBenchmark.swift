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
        /// The share of the file's lines, in percent, that name refunds the engine does not know.
        public var discrepancyPercent: Int
        public var fileMegabytes: Double
        public var seedSeconds: Double
        /// `returns reconcile refunds`, once per report format.
        public var runs: [Run]
        /// psql: `\copy` in, the same matching SQL, `\copy` of the same report rows out to a file.
        public var baselineSeconds: Double
        /// The report rows psql wrote.
        public var baselineRows: Int
    }

    public struct Run: Sendable, Codable {
        public var format: String
        public var seconds: Double
        /// This process's peak resident memory.
        public var peakMegabytes: Double
        /// Lines that matched, as the JSON report's summary counts them (nil for CSV, which has no summary).
        public var matched: Int?
        /// Discrepancies the report lists.
        public var discrepancies: Int
        public var exitCode: Int32
        /// Its seconds over psql's.
        public var ratio: Double
    }

    static let database = "returns_bench_reconcile"

    /// Runs the benchmark on a scratch database of `server`, the generated file in a folder under `parent`; psql is
    /// looked for in `folders.postgresBinDirectory` first.
    public static func run(
        server: DatabaseSettings, lines: Int, discrepancies: Int = 0, binary: String, folder parent: String,
        folders: BenchmarkFolders, logger: Logger
    ) async throws -> Result {
        let folder = parent + "/returns-bench-reconcile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = server.with(database: database)
        try await Database.dropDatabase(database, on: server, logger: logger)
        try await Database.createDatabaseIfMissing(settings, logger: logger)
        do {
            let result = try await measure(
                settings: settings, lines: lines, discrepancies: discrepancies, binary: binary, folder: folder,
                folders: folders, logger: logger)
            try? await Database.dropDatabase(database, on: server, logger: logger)
            return result
        } catch {
            try? await Database.dropDatabase(database, on: server, logger: logger)
            throw error
        }
    }

    static func measure(
        settings: DatabaseSettings, lines: Int, discrepancies: Int, binary: String, folder: String,
        folders: BenchmarkFolders, logger: Logger
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
            psql, settings: settings,
            script: ReconcileBenchmarkLedger.exportScript(file: file, discrepancies: discrepancies), folder: folder,
            logger: logger)
        let seedSeconds = Date().timeIntervalSince(seedStart)
        let fileBytes = ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? Int) ?? 0

        let baselineReport = folder + "/baseline-report.csv"
        let baselineStart = Date()
        try runPsql(
            psql, settings: settings,
            script: ReconcileBenchmarkLedger.baselineScript(file: file, report: baselineReport), folder: folder,
            logger: logger)
        let baselineSeconds = Date().timeIntervalSince(baselineStart)
        let baselineRows = try countLines(baselineReport)
        try? FileManager.default.removeItem(atPath: baselineReport)

        // Ours: the real command, as a separate process, so its time and peak memory are its own.
        var runs: [Run] = []
        for format in ["json", "csv"] {
            let report = folder + "/reconcile-report.\(format)"
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = url(settings)
            let started = Date()
            let (code, peakKilobytes) = try runMeasured(
                binary, ["reconcile", "refunds", "--settlement", file, "--format", format, "--output", report],
                outputPath: folder + "/reconcile.log", environment: environment)
            let seconds = Date().timeIntervalSince(started)
            guard code == 0 || code == 1 else {
                throw ReconcileError.usage(
                    "returns reconcile refunds failed (exit \(code)): "
                        + ((try? String(contentsOfFile: folder + "/reconcile.log", encoding: .utf8)) ?? ""))
            }
            // The summary as the run printed it on standard output: "N lines: M matched, D discrepancies ...".
            let (matched, found) = try summary(of: report, format: format)
            try? FileManager.default.removeItem(atPath: report)
            runs.append(
                Run(
                    format: format, seconds: seconds, peakMegabytes: Double(peakKilobytes) / 1024, matched: matched,
                    discrepancies: found, exitCode: code, ratio: seconds / baselineSeconds))
        }
        try? FileManager.default.removeItem(atPath: file)
        return Result(
            lines: lines, discrepancyPercent: discrepancies, fileMegabytes: Double(fileBytes) / 1_048_576,
            seedSeconds: seedSeconds, runs: runs, baselineSeconds: baselineSeconds, baselineRows: baselineRows)
    }

    /// Runs `executable` to its end; its exit code and its own peak resident memory in kilobytes.
    static func runMeasured(
        _ executable: String, _ arguments: [String], outputPath: String, environment: [String: String]
    ) throws -> (code: Int32, peakKilobytes: Int)
    {
        let pid = try ChildProcess.spawn(
            executable, arguments, in: FileManager.default.currentDirectoryPath, outputPath: outputPath,
            environment: environment)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) == -1 {
            guard errno == EINTR else { throw ReconcileError.usage("waiting for \(executable) failed: errno \(errno)") }
        }
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, usage.ru_maxrss)
    }

    /// The matched lines (JSON only: its summary's count) and the discrepancies a report lists, one per line: the
    /// rows of the CSV under its header, the objects of the JSON's `discrepancies`.
    static func summary(of report: String, format: String) throws -> (matched: Int?, discrepancies: Int) {
        guard format == "json" else { return (nil, try countLines(report) - 1) }
        guard let handle = FileHandle(forReadingAtPath: report) else { return (nil, 0) }
        let head = String(decoding: try handle.read(upToCount: 1 << 16) ?? Data(), as: UTF8.self)
        try? handle.close()
        // The summary is the report's first object: {"matched": N, "unknown_refund": M, ...}.
        var matched: Int?
        if let open = head.range(of: "\"summary\": {"), let close = head[open.upperBound...].firstIndex(of: "}") {
            let counts = try? JSONSerialization.jsonObject(with: Data(("{" + head[open.upperBound..<close] + "}").utf8))
            matched = (counts as? [String: Any])?["matched"] as? Int
        }
        return (matched, try countLines(report, starting: "    {"))
    }

    /// Lines of `path` (those that start with `prefix`, when given), read in blocks.
    static func countLines(_ path: String, starting prefix: String = "") throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        let prefix = Array(prefix.utf8)
        var count = 0
        var line: [UInt8] = []  // the start of the current line, up to the prefix's length
        var atStart = true
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            for byte in block {
                if byte == 10 {
                    if prefix.isEmpty { count += 1 }
                    line.removeAll(keepingCapacity: true)
                    atStart = true
                } else if atStart && !prefix.isEmpty {
                    line.append(byte)
                    if line.count == prefix.count {
                        if line == prefix { count += 1 }
                        atStart = false
                    }
                }
            }
        }
        return count
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
