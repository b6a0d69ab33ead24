import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsReconcile

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare a partner's manifest or a processor's settlement file with the engine's records.",
        discussion: """
            Nothing is written to the database: the file goes into a temporary table of a read-only, rolled-back \
            transaction. Exit codes: 0 everything matches; 1 discrepancies found; 2 bad input or usage; \
            3 the database cannot be reached.
            """,
        subcommands: [ReconcileRefundsCommand.self, ReconcileCreditsCommand.self, ReconcilePartnerCommand.self])
}
