import ArgumentParser

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
            InventoryCommand.self, PartnerCommand.self, FinanceCommand.self, ServeCommand.self,
            WorkflowCommand.self, Migrate.self, DBCommand.self, BenchCommand.self,
        ]
    )
}
