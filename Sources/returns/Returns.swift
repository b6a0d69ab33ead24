import ArgumentParser
import Foundation

@main
struct Returns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "returns",
        abstract: "A returns-processing workflow engine on PostgreSQL.",
        discussion: """
            Without DATABASE_URL (or --database-url) every command uses a private PostgreSQL cluster in \
            $RETURNS_HOME (default ./.returns), started on first use; stop it with `returns db stop`.

            Exit codes: 0 done; 1 refused by the engine (event not allowed here, stale version, idempotency key \
            reused) or a check failed; 2 not found; 64 bad input; 69 database unavailable.
            """,
        subcommands: [
            Demo.self, ReturnCommand.self, TimersCommand.self, RefundsCommand.self, NotifyCommand.self,
            InventoryCommand.self, PartnerCommand.self, FinanceCommand.self, MerchantCommand.self, OrdersCommand.self, CatalogCommand.self, CreditCommand.self,
            ReportCommand.self, StaffCommand.self, ServeCommand.self, ReconcileCommand.self,
            WorkflowCommand.self, Migrate.self, DBCommand.self, BenchCommand.self,
        ]
    )

    /// ArgumentParser's own entry point, except that `reconcile` reports usage errors with exit code 2, as its
    /// contract with scripts says (other commands keep 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let arguments = CommandLine.arguments.dropFirst()
            let code = exitCode(for: error)
            if arguments.first == "reconcile", code != .success, code.rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
