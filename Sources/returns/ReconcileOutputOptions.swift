import ArgumentParser
import Foundation
import ReturnsReconcile

/// Options both reconciliations share.
struct ReconcileOutputOptions: ParsableArguments {
    @Option(help: "Engine records from this date (YYYY-MM-DD or ISO 8601).")
    var from: String?
    @Option(help: "Engine records up to this date, inclusive for a bare date.")
    var to: String?
    @Option(help: "The report's format. Default: table on a terminal, json otherwise.")
    var format: ReportWriter.Format?
    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    func period() throws -> (Date?, Date?) {
        (
            try from.map { try ReconcilePeriod.parse($0, option: "--from") },
            try to.map { try ReconcilePeriod.parse($0, option: "--to", endOfDay: true) }
        )
    }

    var resolvedFormat: ReportWriter.Format {
        format ?? (output == nil && isatty(STDOUT_FILENO) == 1 ? .table : .json)
    }
}
