import Foundation
import ReturnsStore

/// Runs the built `returns` binary the way a user does, and reports its exit code and output.
enum CLI {
    /// The binary sits beside the test bundle in the build folder.
    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("returns").path
    }()

    struct Result {
        var code: Int32
        /// Standard output.
        var output: String
        /// Standard error.
        var errors: String
        /// Both, for messages that may go to either.
        var text: String { output + errors }
    }

    /// A started command: its pid and where its output goes.
    struct Running {
        var pid: pid_t
        var outputPath: String
        var errorPath: String

        /// Waits for the command to end, off the cooperative pool (see `offThePool`).
        func wait() async throws -> Result {
            let pid = pid
            let code = try await offThePool { try ChildProcess.wait(pid) }
            defer {
                try? FileManager.default.removeItem(atPath: outputPath)
                try? FileManager.default.removeItem(atPath: errorPath)
            }
            return Result(code: code, output: read(outputPath), errors: read(errorPath))
        }

        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    }

    static func run(_ arguments: [String], database: DatabaseSettings?, environment: [String: String] = [:])
        async throws -> Result
    {
        try await spawn(arguments, database: database, environment: environment).wait()
    }

    /// Starts the binary without waiting for it. `DATABASE_URL` points at `database` (unset when nil).
    static func spawn(_ arguments: [String], database: DatabaseSettings?, environment extra: [String: String] = [:])
        throws -> Running
    {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database.map(url)
        environment.merge(extra) { $1 }
        let base = NSTemporaryDirectory() + "returns-cli-\(UUID().uuidString)"
        let running = Running(pid: 0, outputPath: base + ".out", errorPath: base + ".err")
        let pid = try ChildProcess.spawn(
            binary, arguments, in: TestDatabase.packageRoot.path, outputPath: running.outputPath,
            errorPath: running.errorPath, environment: environment)
        return Running(pid: pid, outputPath: running.outputPath, errorPath: running.errorPath)
    }

    static func url(_ settings: DatabaseSettings) -> String {
        switch settings.address {
        case .socket(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            let port = path.split(separator: ".").last ?? "5432"
            return "postgres://\(settings.username)@localhost:\(port)/\(settings.database)?host=\(folder)&sslmode=disable"
        case .tcp(let host, let port):
            return "postgres://\(settings.username)@\(host):\(port)/\(settings.database)?sslmode=disable"
        }
    }

    static func json(_ output: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw CLIOutputError(output: output)
        }
        return object
    }

    struct CLIOutputError: Error, CustomStringConvertible {
        var output: String
        var description: String { "not a JSON object: \(output)" }
    }
}
