import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import ReturnsEngine
import ReturnsHTTP
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// RETURNS_READ_DATABASE_URL. The "replica" here is a second database on the test cluster: it is not in recovery,
/// so it counts as caught up (a server answers its own position), and the returns in it are not on the primary.
/// A return that only the replica knows is found through the status API only if the lookup read the replica; one
/// only the primary knows is found only through the fallback. The real streaming replica, its lag and the figures
/// with and without it are `scripts/ha-tests`'.
@Suite("Status lookups on a read replica")
struct ReadReplicaTests {
    let logger = TestDatabase.logger

    func token(of id: UUID, in engine: Engine) async throws -> String {
        try #require(try await engine.rows("SELECT status_token FROM returns WHERE id = \(id)", as: (String.self)).first)
    }

    func withReplica<T: Sendable>(
        _ replica: DatabaseSettings, _ body: @Sendable (Engine, any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let primary = try await TestDatabase.makeDatabase()
        return try await Database.with(
            primary, readReplica: ReadReplicaSettings(connection: replica, maximumLag: .seconds(5), interval: .milliseconds(100)),
            logger: logger
        ) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            try await engine.deployWorkflows()
            let router = buildRouter(
                engine: engine, configuration: ServerConfiguration(databaseWait: .seconds(10)),
                migrator: try Migrator(directory: TestDatabase.packageRoot.appendingPathComponent("Schema")))
            return try await Application(router: router).test(.router) { client in try await body(engine, client) }
        }
    }

    func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, [String: JSONValue]) {
        try await client.execute(uri: uri, method: .get) { response in
            let json = try? JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: response.body).utf8))
            if case .object(let fields)? = json { return (response.status, fields) }
            return (response.status, [:])
        }
    }

    @Test("a current replica answers status lookups; a token it does not know yet is found on the primary")
    func readsReplicaFallsBack() async throws {
        let replicaSettings = try await TestDatabase.makeDatabase()
        let replicaToken = try await TestDatabase.withEngine(on: replicaSettings) { engine in
            try await token(of: try await engine.makeReturn(), in: engine)
        }
        try await withReplica(replicaSettings) { engine, client in
            let primaryToken = try await token(of: try await engine.makeReturn(), in: engine)
            let replica = try #require(engine.database.replica)
            // A lookup that must read the replica is made while the replica is current. On a loaded machine its
            // monitor now and then misses its 1 s deadline and judges it down for a moment, and a lookup then rightly
            // goes to the primary (which does not have this return): such a lookup is made again, at most five times.
            // Code that never read the replica fails all five.
            func onReplica(_ uri: String) async throws -> (HTTPResponse.Status, [String: JSONValue]) {
                var answer: (HTTPResponse.Status, [String: JSONValue]) = (.notFound, [:])
                for _ in 0..<5 {
                    let deadline = ContinuousClock.now + .seconds(20)
                    while !replica.isUsable, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                    answer = try await get(client, uri)
                    if answer.0 == .ok { break }
                }
                return answer
            }

            let (found, body) = try await onReplica("/v1/status/\(replicaToken)")
            #expect(found == .ok, "only the replica has this return: the lookup read the replica")
            #expect(body["state"]?.stringValue == "requested")
            let (page, _) = try await onReplica("/status/\(replicaToken)")
            #expect(page == .ok)
            let (fallback, _) = try await get(client, "/v1/status/\(primaryToken)")
            #expect(fallback == .ok, "a return the replica does not know is looked up on the primary")
            let (unknown, _) = try await get(client, "/v1/status/no-such-token")
            #expect(unknown == .notFound)
            // What a cancel reads back (fromPrimary) is the primary's, which does not have this return.
            #expect(try await engine.customers.status(token: replicaToken, fromPrimary: true) == nil)

            let (ready, health) = try await get(client, "/health/ready")
            #expect(ready == .ok)
            guard case .object(let report)? = health["replica"] else {
                Issue.record("/health/ready has no replica: \(health)")
                return
            }
            #expect(report["status"]?.stringValue == "current")
            #expect(report["maximum_lag_seconds"] == .number(5))
            if case .number(let lag)? = report["lag_seconds"] { #expect(lag >= 0 && lag < 5) } else {
                Issue.record("no lag_seconds in \(report)")
            }
        }
    }

    @Test("a replica that is down is bypassed: lookups read the primary, and /health/ready says so and stays ready")
    func downReplicaBypassed() async throws {
        let nobody = try DatabaseSettings(url: "postgres://returns@127.0.0.1:1/returns?sslmode=disable")
        try await withReplica(nobody) { engine, client in
            let token = try await token(of: try await engine.makeReturn(), in: engine)
            let replica = try #require(engine.database.replica)
            let deadline = ContinuousClock.now + .seconds(20)
            while replica.status.verdict != .down, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let started = ContinuousClock.now
            let (status, _) = try await get(client, "/v1/status/\(token)")
            #expect(status == .ok)
            // A lookup that waited for the replica would wait on its pool, which keeps trying to connect.
            #expect(ContinuousClock.now - started < .seconds(15), "the dead replica is not waited for")
            let (ready, health) = try await get(client, "/health/ready")
            #expect(ready == .ok)
            guard case .object(let report)? = health["replica"] else {
                Issue.record("/health/ready has no replica: \(health)")
                return
            }
            #expect(report["status"]?.stringValue == "down")
            #expect(report["detail"]?.stringValue?.isEmpty == false)
        }
    }
}
