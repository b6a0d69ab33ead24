import ArgumentParser
import ReturnsStore

struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Start and stop the embedded PostgreSQL cluster in $RETURNS_HOME.",
        subcommands: [Start.self, Stop.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the embedded cluster and print how to reach it.")

        func run() async throws {
            let endpoint = try await reportingErrors { try EmbeddedCluster(home: EmbeddedCluster.defaultHome()).start() }
            print("embedded PostgreSQL is running: psql -h \(endpoint.socketDirectory) -p \(endpoint.port) -U \(EmbeddedCluster.superuser) returns")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster if it runs.")

        func run() async throws {
            let wasRunning = try await reportingErrors { try EmbeddedCluster(home: EmbeddedCluster.defaultHome()).stop() }
            print(wasRunning ? "embedded PostgreSQL stopped" : "embedded PostgreSQL was not running")
        }
    }
}
