import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import ReturnsEngine
import ReturnsHTTP
@testable import ReturnsStore
import ServiceLifecycle
import Synchronization
@testable import ReturnsTestSupport
import Testing

@Suite("Live server")
struct LiveServerTests {
    /// Runs `returns serve`'s service group on a free loopback port with the timer worker, until `body` returns.
    /// Transactions wait for locks without a limit: a request held on a lock by a test waits for the test, however
    /// slowly this machine runs (the limit's answer is `DatabaseWaitTests`').
    static func withServer(
        _ body: @Sendable (Engine, ServiceGroup, TestClient) async throws -> Void
    ) async throws {
        var settings = try await TestDatabase.makeDatabase()
        settings.transactionLimits = TransactionLimits(lockTimeout: nil, statementTimeout: .seconds(30))
        try await TestDatabase.withEngine(on: settings) { engine in
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            let group = Server.makeGroup(
                engine: engine, configuration: ServerConfiguration(port: 0, databaseWait: .seconds(30)),
                workers: [TimerWorker(engine: engine)],
                migrator: nil, logger: TestDatabase.logger, onServerRunning: { portSink.yield($0) })
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                // A read timeout far past the 15 s default: a loaded CI run once left a request unanswered that long.
                let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(60)))
                client.connect()
                do {
                    try await body(engine, group, client)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("over a real socket: request, status, health and metrics")
    func liveRoundTrip() async throws {
        try await Self.withServer { engine, _, client in
            try await engine.makeOrder("L-1", currency: "USD", lines: ["S:1:30.00"])
            let created = try await client.execute(
                .init(
                    "/v1/returns", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(
                        string: #"{"order_ref": "L-1", "email": "l-1@example.com", "lines": [{"order_line": "1", "quantity": 1}]}"#
                    )))
            #expect(created.status == .created)
            let token = try #require(
                try JSONDecoder().decode([String: String].self, from: Data(buffer: created.body ?? ByteBuffer()))["status_token"])
            let status = try await client.execute(.init("/v1/status/\(token)", method: .get))
            #expect(status.status == .ok)
            let ready = try await client.execute(.init("/health/ready", method: .get))
            #expect(ready.status == .ok)
            let metrics = try await client.execute(.init("/metrics", method: .get))
            let text = String(buffer: metrics.body ?? ByteBuffer())
            #expect(text.contains(#"route="/v1/status/{token}""#))
            #expect(text.contains(#"returns_transitions_total{workflow="standard",event="issue_label"} 1"#))
            #expect(text.contains("returns_outbox_pending 1"))
            #expect(!text.contains(token))
            // Every metric family has HELP and TYPE (what `promtool check metrics` asks for).
            let lines = text.split(separator: "\n")
            let typed = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
            let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
            #expect(typed.count >= 6)
            #expect(typed.filter { !helped.contains($0) } == [])
        }
    }

    @Test("graceful shutdown lets a request in flight finish and commit")
    func gracefulShutdown() async throws {
        try await Self.withServer { engine, group, client in
            let key = try await engine.accessKeys.addPartner(name: "acme", region: nil)
            let request = NewReturn(
                workflow: nil, orderRef: "G-1", customerEmail: "g@example.com",
                items: [try ReturnItem.parse("LAMP:1:40.00:EUR")], startsAtOnce: true)
            let id = try await engine.transitions.create(request).id
            // Hold the return's row lock so the partner's request waits inside its transaction.
            let lock = try await engine.holdRowLock(of: id)
            let inFlight = Task {
                try await client.execute(
                    .init(
                        "/v1/partner/returns/\(id.uuidString.lowercased())/scans", method: .post,
                        headers: [
                            .contentType: "application/json", .authorization: "Bearer \(key)",
                            HTTPFields.Element.Name("Idempotency-Key")!: "ship-1",
                        ],
                        body: ByteBuffer(string: #"{"kind": "picked_up", "tracking_number": "1Z"}"#)))
            }
            // The request is waiting on the lock when shutdown begins (a request not yet read when the server stops
            // accepting would never be answered).
            let waiting = try await engine.sessionsWaitingForLocks(atLeast: 1) > 0
            #expect(waiting, "the partner's request never reached the lock")
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(300))
            try await lock.end()
            let response = try await inFlight.value
            #expect(response.status == .ok)
            let history = try await engine.lookup.details(of: id).history
            #expect(history.last?.event == "ship")
            #expect(history.map(\.seq) == [1, 2, 3])
        }
    }
}
