import ArgumentParser
import Foundation
import ReturnsBench
import ReturnsStore

struct BenchReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Time `reconcile refunds` on a generated settlement file against psql \\copy plus the same SQL.",
        discussion: """
            Creates a scratch database on the server with --lines refunds and writes their settlement file, of which \
            --discrepancies percent of the lines name refunds the engine does not know (each such line is reported \
            as an unknown refund, and its ledger refund as missing from the file). Then psql does \\copy of the \
            file into a temporary table, the conversion to typed columns, the identical matching SQL, and \\copy of \
            the same report rows out to a file; then `returns reconcile refunds` runs on the file as a separate \
            process, once with --format json and once with --format csv (wall time and that process's peak \
            memory). Prints the times, their ratios to psql's and the discrepancies each report lists, and drops \
            the scratch database. Targets: ratio at most 1.5, peak memory under 200 MB.
            """)

    @Option(help: "Settlement lines (and ledger refunds) to generate.")
    var lines = 1_000_000
    @Option(help: "Percent of the lines that name refunds the engine does not know (0 to 100).")
    var discrepancies = 0
    @Option(help: "Folder for the generated file.")
    var folder = NSTemporaryDirectory()
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard (1...20_000_000).contains(lines) else { throw ValidationError("--lines must be from 1 to 20000000") }
        guard (0...100).contains(discrepancies) else { throw ValidationError("--discrepancies must be from 0 to 100") }
        let result = try await reportingErrors {
            let server = try await database.settings()
            return try await ReconcileBenchmark.run(
                server: server, lines: lines, discrepancies: discrepancies, binary: BenchCommand.ownExecutable,
                folder: folder,
                folders: try Configuration.current.benchmarkFolders(), logger: Configuration.current.logger())
        }
        if output.json {
            try printJSON(result)
            return
        }
        print(
            String(
                format: "settlement file: %d lines, %d%% unknown to the engine, %.1f MB (generated with the ledger in %.1f s)",
                result.lines, result.discrepancyPercent, result.fileMegabytes, result.seedSeconds))
        print(
            String(
                format: "psql \\copy + same SQL + \\copy out: %.2f s, %d report rows", result.baselineSeconds,
                result.baselineRows))
        for run in result.runs {
            let matched = run.matched.map { ", \($0) matched" } ?? ""
            print(
                "returns reconcile refunds --format \(run.format): "
                    + String(
                        format: "%.2f s = %.2f x psql, peak memory %.1f MB, ", run.seconds, run.ratio,
                        run.peakMegabytes)
                    + "\(run.discrepancies) discrepancies listed\(matched), exit \(run.exitCode)")
        }
        print("targets: ratio <= 1.5, peak memory < 200 MB")
    }
}
