import ArgumentParser
import Foundation
import ReturnsBench
import ReturnsStore

struct BenchReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Time `reconcile refunds` on a generated settlement file against psql \\copy plus the same SQL.",
        discussion: """
            Creates a scratch database on the server with --lines refunds and writes the matching settlement file, \
            runs `returns reconcile refunds` on it as a separate process (wall time and peak memory), then psql \
            doing \\copy of the same file plus the identical matching queries; prints both times and their ratio, \
            and drops the scratch database. Targets: ratio at most 1.5, peak memory under 200 MB.
            """)

    @Option(help: "Settlement lines (and ledger refunds) to generate.")
    var lines = 1_000_000
    @Option(help: "Folder for the generated file.")
    var folder = NSTemporaryDirectory()
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard (1...20_000_000).contains(lines) else { throw ValidationError("--lines must be from 1 to 20000000") }
        let binary =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let result = try await reportingErrors {
            let server = try await database.settings()
            return try await ReconcileBenchmark.run(
                server: server, lines: lines, binary: binary, folder: folder,
                folders: try Configuration.current.benchmarkFolders(), logger: Configuration.current.logger())
        }
        if output.json {
            try printJSON(result)
            return
        }
        print(
            String(
                format: "settlement file: %d lines, %.1f MB (generated with the ledger in %.1f s)", result.lines,
                result.fileMegabytes, result.seedSeconds))
        print(
            String(
                format: "returns reconcile refunds: %.2f s, peak memory %.1f MB, %d matched, exit %d",
                result.oursSeconds, result.peakMegabytes, result.matched, result.exitCode))
        print(String(format: "psql \\copy + same SQL:     %.2f s", result.baselineSeconds))
        print(String(format: "ratio: %.2f (target <= 1.5); memory target < 200 MB", result.ratio))
    }
}
