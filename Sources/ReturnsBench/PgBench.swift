import Foundation
import Logging
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Runs PostgreSQL's own load generator against a database, the baseline the engine's figures are compared with.
public struct PgBench: Sendable {
    /// The pgbench program.
    public let executable: String

    /// What one pgbench run measured.
    public struct Result: Sendable, Codable {
        public var clients: Int
        public var threads: Int
        public var transactions: Int
        public var failed: Int
        /// Transactions per second, without the time to open connections (pgbench's own figure).
        public var transactionsPerSecond: Double
        /// Per-transaction latency from pgbench's transaction log, in milliseconds.
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        /// The command line, connection details aside, so a reader can run it again.
        public var command: String
    }

    public init(executable: String) {
        self.executable = executable
    }

    /// pgbench next to the server binaries the embedded cluster uses (`RETURNS_PG_BINDIR` decides those), else in
    /// /usr/bin or /usr/local/bin.
    public static func locate(binDirectory: String?) throws -> PgBench {
        var candidates: [String] = []
        if let directory = try? PostgresBinaries.locate(explicit: binDirectory).directory {
            candidates.append(directory + "/pgbench")
        }
        candidates += ["/usr/bin/pgbench", "/usr/local/bin/pgbench"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ClusterError.commandFailed(
                command: "pgbench",
                detail: "not found in \(candidates.joined(separator: ", ")); install it (Debian/Ubuntu: apt-get "
                    + "install postgresql, which ships it beside initdb) or set RETURNS_PG_BINDIR to its folder")
        }
        return PgBench(executable: found)
    }

    /// Runs `scripts` (each chosen with equal weight) with prepared statements, `clients` connections and
    /// `transactionsPerClient` transactions each, on the database of `settings`; `variables` become `-D name=value`.
    public func run(
        scripts: [URL], clients: Int, transactionsPerClient: Int, variables: [String: String],
        settings: DatabaseSettings
    ) throws -> Result {
        let threads = max(1, min(clients, ProcessInfo.processInfo.activeProcessorCount))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "returns-pgbench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var arguments = [
            "--no-vacuum", "--protocol=prepared", "--client=\(clients)", "--jobs=\(threads)",
            "--transactions=\(transactionsPerClient)", "--log", "--log-prefix=\(folder.path)/txn",
        ]
        arguments += variables.sorted { $0.key < $1.key }.map { "--define=\($0.key)=\($0.value)" }
        arguments += scripts.map { "--file=\($0.path)@1" }
        let (connection, environment) = Self.connection(to: settings)
        let output = folder.appendingPathComponent("output.txt").path
        let code = try ChildProcess.run(
            executable, arguments + connection + [settings.database], in: folder.path, outputPath: output,
            environment: environment)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard code == 0 else {
            throw ClusterError.commandFailed(command: "pgbench", detail: "exit status \(code):\n\(text)")
        }
        guard let tps = Self.number(after: "tps = ", in: text) else {
            throw ClusterError.commandFailed(command: "pgbench", detail: "no tps figure in its output:\n\(text)")
        }
        let latencies = try Self.latencies(in: folder)
        let failed = Int(Self.number(after: "number of failed transactions: ", in: text) ?? 0)
        return Result(
            clients: clients, threads: threads, transactions: latencies.count, failed: failed,
            transactionsPerSecond: tps, p50Milliseconds: Self.percentile(latencies, 0.50),
            p99Milliseconds: Self.percentile(latencies, 0.99),
            command: Self.display(arguments, scripts: scripts))
    }

    /// Runs the psql script `file` (beside pgbench, else /usr/bin/psql) with `variables` as `-v name=value`, stopping
    /// at its first error, on the database of `settings`.
    public func psql(file: URL, variables: [String: String], settings: DatabaseSettings) throws {
        let beside = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("psql").path
        let psql = FileManager.default.isExecutableFile(atPath: beside) ? beside : "/usr/bin/psql"
        let (connection, environment) = Self.connection(to: settings)
        let arguments = ["--quiet", "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--file=\(file.path)"]
            + variables.sorted { $0.key < $1.key }.map { "--set=\($0.key)=\($0.value)" }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("returns-psql-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("output.txt").path
        let code = try ChildProcess.run(
            psql, arguments + connection + [settings.database], in: folder.path, outputPath: output,
            environment: environment)
        guard code == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw ClusterError.commandFailed(command: "psql -f \(file.lastPathComponent)", detail: "exit status \(code):\n\(text)")
        }
    }

    /// libpq's connection arguments for `settings`, and the environment that carries the rest (set for the child
    /// only, so the password never shows in its command line).
    static func connection(to settings: DatabaseSettings) -> (arguments: [String], environment: [String: String]) {
        var environment = ProcessInfo.processInfo.environment
        var arguments: [String] = ["--username=\(settings.username)"]
        switch settings.address {
        case .tcp(let host, let port):
            arguments += ["--host=\(host)", "--port=\(port)"]
        case .socket(let path):
            let socket = URL(fileURLWithPath: path)
            arguments += ["--host=\(socket.deletingLastPathComponent().path)", "--port=\(socket.pathExtension)"]
        }
        environment.merge(["PGSSLMODE": settings.tlsMode]) { $1 }
        if let password = settings.password { environment.merge(["PGPASSWORD": password]) { $1 } }
        return (arguments, environment)
    }

    /// The command line for a person: values taken from the run's own rows shown by name, scripts by file name.
    static func display(_ arguments: [String], scripts: [URL]) -> String {
        let shown = arguments.compactMap { argument -> String? in
            if argument.hasPrefix("--log") || argument.hasPrefix("--file=") { return nil }
            if argument.hasPrefix("--define="), let equals = argument.dropFirst(9).firstIndex(of: "="),
                !argument[argument.index(after: equals)...].allSatisfy(\.isNumber)
            {
                return "\(argument[..<equals])=<sample>"
            }
            return argument
        }
        let files = scripts.map {
            "--file=\($0.deletingLastPathComponent().lastPathComponent)/\($0.lastPathComponent)@1"
        }
        return (["pgbench"] + shown + files).joined(separator: " ")
    }

    /// The latencies (ms) of pgbench's per-transaction logs: `client txn latency_us script epoch epoch_us` per line.
    static func latencies(in folder: URL) throws -> [Double] {
        var values: [Double] = []
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("txn") }
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count >= 3, let micros = Double(fields[2]) { values.append(micros / 1000) }
            }
        }
        return values.sorted()
    }

    /// The value at fraction `q` of sorted `values` (nearest rank); 0 when there are none.
    public static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func number(after label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(digits)
    }
}
