import ArgumentParser
import Foundation
import ReturnsReconcile

struct PartnerImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Apply a partner's manifest: its receipts and inspection results become events.",
        discussion: """
            The whole file is checked first: its format, that every line names a return of this partner and one \
            of its SKUs, and then every step through the engine in one transaction (quantities beyond what was \
            returned, a grade for a line that never arrived, a disposition overridden without a reason, a step \
            the return's state does not take). One bad line and nothing is applied: each is printed as \
            FILE:LINE:COLUMN, exit 64. Each event carries an idempotency key, so importing the same file again \
            changes nothing. --dry-run runs the same check and rolls it back.
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
        for step in report.steps where dryRun {
            let lines = step.lines.map(String.init).joined(separator: ",")
            print(
                "\(step.outcome) \(step.event) \(step.returnID.uuidString.lowercased()) (line \(lines))"
                    + (step.reason.map { ": \($0)" } ?? ""))
        }
        print(
            "\(report.lines) lines: \(report.count("applied")) events applied, \(report.count("replayed")) already "
                + "applied"
                + (dryRun ? ", \(report.count("planned")) planned (dry run)" : ""))
    }
}
