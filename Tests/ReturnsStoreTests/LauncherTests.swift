import Foundation
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("The embedded PostgreSQL launcher, through the command line")
struct LauncherTests {
    func run(_ arguments: [String], home: String, extra: [String: String] = [:]) async throws -> CLI.Result {
        try await CLI.run(arguments, database: nil, environment: ["RETURNS_HOME": home].merging(extra) { $1 })
    }

    @Test("db start creates a private cluster once and reuses it; db stop stops it")
    func startReuseStop() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("returns-home-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        do {
            try await startReuseStop(home: home)
        } catch {
            _ = try? await run(["db", "stop"], home: home)
            throw error
        }
    }

    func startReuseStop(home: String) async throws {
        let first = try await run(["db", "start"], home: home)
        #expect(first.code == 0, "\(first.text)")
        #expect(first.output.contains("embedded PostgreSQL is running: psql -h "))
        let again = try await run(["db", "start"], home: home)
        #expect(again.output == first.output)
        let reach = try CLI.json(try await run(["db", "start", "--json"], home: home).output)
        let socketDirectory = try #require(reach["socketDirectory"] as? String)
        let port = try #require(reach["port"] as? Int)
        #expect(first.output.contains("psql -h \(socketDirectory) -p \(port) -U returns returns"), "\(reach)")
        #expect(reach["user"] as? String == "returns")
        #expect(reach["database"] as? String == "returns")
        // The server listens on a socket inside its folder and on loopback only.
        let conf = try String(contentsOfFile: clusterFolder(home) + "/data/postgresql.conf", encoding: .utf8)
        #expect(conf.contains("listen_addresses = '127.0.0.1'"))
        let migrated = try await run(["migrate"], home: home)
        let files = try FileManager.default.contentsOfDirectory(atPath: TestDatabase.packageRoot.appendingPathComponent("Schema").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(migrated.output == "applied \(files.joined(separator: ", "))\n", "\(migrated.text)")
        #expect(try await run(["migrate"], home: home).output == "schema is up to date\n")
        let stopped = try await run(["db", "stop"], home: home)
        #expect(stopped.output == "embedded PostgreSQL stopped\n", "\(stopped.text)")
        #expect(try await run(["db", "stop"], home: home).output == "embedded PostgreSQL was not running\n")
    }

    @Test("missing server binaries give one clear line saying what to install, and exit 69")
    func missingBinaries() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("returns-home-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let result = try await run(["return", "list"], home: home, extra: ["RETURNS_PG_BINDIR": "/nonexistent/bin"])
        #expect(result.code == 69)
        #expect(result.errors.split(separator: "\n").count == 1)
        #expect(result.errors.contains("PostgreSQL server binaries (initdb, pg_ctl) not found in /nonexistent/bin"))
        #expect(result.errors.contains("apt-get install postgresql"))
    }

    @Test("an unreachable DATABASE_URL fails fast with the target and exit 69")
    func unreachable() async throws {
        let result = try await CLI.run(
            ["return", "list"], database: nil,
            environment: ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable"])
        #expect(result.code == 69)
        #expect(result.errors.contains("cannot reach PostgreSQL at postgres://nobody@127.0.0.1:1/none"))
    }

    /// Where the launcher put the cluster: inside the home unless the server's user cannot reach it.
    func clusterFolder(_ home: String) -> String {
        let inside = home + "/pg"
        if FileManager.default.fileExists(atPath: inside + "/data") { return inside }
        let candidates = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        return candidates.filter { $0.hasPrefix("returns-pg-") }.map { "/tmp/" + $0 }.first { folder in
            FileManager.default.fileExists(atPath: folder + "/data")
        } ?? inside
    }
}
