import ArgumentParser
import ReturnsStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the schema's migrations that are missing (every command also does this on start).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let applied = try await reportingErrors {
            let settings = try await database.settings()
            let migrator = try Migrator(directory: try Configuration.current.schemaFolder())
            return try await Database.with(settings) { try await migrator.migrate($0) }
        }
        if output.json { return try printJSON(["applied": applied]) }
        print(applied.isEmpty ? "schema is up to date" : "applied \(applied.joined(separator: ", "))")
    }
}
