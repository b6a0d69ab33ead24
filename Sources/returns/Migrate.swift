import ArgumentParser
import ReturnsStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the schema's migrations that are missing (every command also does this on start).")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let applied = try await reportingErrors {
            let settings = try await Database.settings(databaseURL: database.resolvedURL, home: database.home)
            let migrator = try Migrator(directory: try Migrator.locateSchema())
            return try await Database.with(settings) { try await migrator.migrate($0) }
        }
        print(applied.isEmpty ? "schema is up to date" : "applied \(applied.joined(separator: ", "))")
    }
}
