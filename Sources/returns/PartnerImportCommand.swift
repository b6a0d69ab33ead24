import ArgumentParser
import Foundation
import ReturnsReconcile

struct PartnerImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Apply a partner's manifest: its receipts and inspection results become events.",
        discussion: """
            The whole file is checked first; if any line is malformed or names a return that is not this \
            partner's, nothing is applied (exit 64). Each event carries an idempotency key, so importing the same \
            file again changes nothing. Steps a return's state does not allow are skipped and listed.
            """)

    @Option(help: "The partner's name.")
    var partner: String
    @Argument(help: "The manifest CSV file.")
    var file: String
    @Flag(name: .customLong("dry-run"), help: "Check the file and list the events without applying them.")
    var dryRun = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let report = try await database.withEngine { engine in
            do {
                return try await ManifestImporter(file: file, partner: partner).run(engine: engine, dryRun: dryRun)
            } catch let error as ReconcileError {
                printError(error.description)
                throw ExitCode(64)
            }
        }
        if output.json {
            try printJSON(report)
            return
        }
        for step in report.steps where step.outcome == "skipped" || dryRun {
            let lines = step.lines.map(String.init).joined(separator: ",")
            print(
                "\(step.outcome) \(step.event) \(step.returnID.uuidString.lowercased()) (line \(lines))"
                    + (step.reason.map { ": \($0)" } ?? ""))
        }
        print(
            "\(report.lines) lines: \(report.count("applied")) events applied, \(report.count("replayed")) already "
                + "applied, \(report.count("skipped")) skipped"
                + (dryRun ? ", \(report.count("planned")) planned (dry run)" : ""))
    }
}
