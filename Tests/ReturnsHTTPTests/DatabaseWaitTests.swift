import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsEngine
import ReturnsHTTP
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

@Suite("Waiting for the database")
struct DatabaseWaitTests {
    @Test("a request that can get no database connection is answered 503 at once, not held until one frees up")
    func noConnectionIsServiceUnavailable() async throws {
        var settings = try await TestDatabase.makeDatabase()
        settings.maximumConnections = 1
        try await Database.with(settings) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            let router = buildRouter(
                engine: engine, configuration: ServerConfiguration(databaseWait: .milliseconds(200)))
            try await Application(router: router).test(.router) { client in
                let (held, holding) = AsyncStream<Void>.makeStream()
                let (release, releasing) = AsyncStream<Void>.makeStream()
                // The pool's only connection is busy, as all are while PostgreSQL is down.
                let holder = Task {
                    try await database.client.withConnection { _ in
                        holding.yield()
                        // Released by the test; the deadline keeps a regression a failure instead of a hang.
                        _ = await withTaskGroup(of: Void.self) { group in
                            group.addTask { for await _ in release { break } }
                            group.addTask { try? await Task.sleep(for: .seconds(5)) }
                            await group.next()
                            group.cancelAll()
                        }
                    }
                }
                for await _ in held { break }

                let busy = try await client.execute(uri: "/v1/status/no-such-token", method: .get) { response in
                    (response.status, String(buffer: response.body))
                }
                #expect(busy.0 == .serviceUnavailable)
                #expect(busy.1.contains("database-unavailable"), "\(busy.1)")
                let live = try await client.execute(uri: "/health/live", method: .get) { $0.status }
                #expect(live == .ok)

                releasing.yield()
                try await holder.value
                // Once the connection is back the route answers again. The pool hands it over within the 200 ms
                // wait on an idle machine; on a loaded one the first try may still miss it, so try for 5 s.
                var free = HTTPResponse.Status.serviceUnavailable
                for _ in 0..<20 where free == .serviceUnavailable {
                    free = try await client.execute(uri: "/v1/status/no-such-token", method: .get) { $0.status }
                    if free == .serviceUnavailable { try await Task.sleep(for: .milliseconds(250)) }
                }
                #expect(free == .notFound)
            }
        }
    }

    @Test("a return held locked by another session answers 409 return-busy with Retry-After within the lock limit; other routes keep answering and nothing is written")
    func heldReturnIsBusyNotHung() async throws {
        var settings = try await TestDatabase.makeDatabase()
        settings.maximumConnections = 4
        settings.transactionLimits.lockTimeout = .seconds(1)
        try await Database.with(settings) { database in
            let engine = Engine(database: database, catalog: TestDatabase.catalog)
            try await engine.deployWorkflows()
            // The database gate at 3 s. At 300 ms the gate's own watchdogs, one per waiting request, could miss a free
            // connection while the suite loads both cores, and answer 503 for a lock wait; at the default 1 s a status
            // lookup was still answered 503 once with the whole suite running. The held return's requests take one
            // connection at a time (ReturnTurns), so a starved pool would fail this at any wait.
            let router = buildRouter(engine: engine, configuration: ServerConfiguration(databaseWait: .seconds(3)))
            let held = try await engine.makeReturn()
            let other = try await engine.makeReturn()
            try await engine.drive(held, [("issue_label", [:])])
            let heldToken = try await engine.lookup.details(of: held).record.statusToken
            let otherToken = try await engine.lookup.details(of: other).record.statusToken
            // The pool's four connections are opened now: on a loaded machine opening one can take longer than the
            // 300 ms gate, and what this test is about is waiting for a lock, not for a new connection.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await database.client.withConnection { _ in try await Task.sleep(for: .milliseconds(200)) }
                    }
                }
                try await group.waitForAll()
            }
            @Sendable func written() async throws -> [Int] {
                [
                    try await engine.count("SELECT count(*)::int FROM return_events"),
                    try await engine.count("SELECT count(*)::int FROM outbox"),
                    try await engine.count("SELECT count(*)::int FROM idempotency_keys"),
                ]
            }
            let before = try await written()

            // Another session (here another instance's pool) holds the return's row, as a slow command would.
            var otherSettings = settings
            otherSettings.maximumConnections = 1
            try await Database.with(otherSettings) { otherInstance in
                let (locked, locking) = AsyncStream<Void>.makeStream()
                let (release, releasing) = AsyncStream<Void>.makeStream()
                let holder = Task {
                    try await otherInstance.client.withConnection { connection in
                        try await connection.query("BEGIN", logger: TestDatabase.logger)
                        try await connection.query("SELECT 1 FROM returns WHERE id = \(held) FOR UPDATE", logger: TestDatabase.logger)
                        locking.yield()
                        // Released by the test; the deadline keeps a regression a failure instead of a hang.
                        _ = await withTaskGroup(of: Void.self) { group in
                            group.addTask { for await _ in release { break } }
                            group.addTask { try? await Task.sleep(for: .seconds(20)) }
                            await group.next()
                            group.cancelAll()
                        }
                        try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                    }
                }
                for await _ in locked { break }

                try await Application(router: router).test(.router) { client in
                    let started = ContinuousClock.now
                    // More requests on the held return than the pool has connections.
                    let answers = try await withThrowingTaskGroup(
                        of: (HTTPResponse.Status, String?, String, Duration).self
                    ) { group in
                        for index in 0..<12 {
                            group.addTask {
                                try await client.execute(
                                    uri: "/v1/status/\(heldToken)/cancel", method: .post,
                                    headers: [HTTPFields.Element.Name("Idempotency-Key")!: "cancel-\(index)"]
                                ) { response in
                                    (
                                        response.status, response.headers[.retryAfter], String(buffer: response.body),
                                        ContinuousClock.now - started
                                    )
                                }
                            }
                        }
                        // While they wait, the instance still answers everything else.
                        try await Task.sleep(for: .milliseconds(300))
                        for _ in 0..<3 {
                            let asked = ContinuousClock.now
                            let status = try await client.execute(uri: "/v1/status/\(otherToken)", method: .get) {
                                $0.status
                            }
                            // 200, not the 503 a request gets when the held return's requests have taken the
                            // pool; the time is only a loose bound on a loaded machine.
                            #expect(status == .ok)
                            #expect(ContinuousClock.now - asked < .seconds(10))
                        }
                        var answers: [(HTTPResponse.Status, String?, String, Duration)] = []
                        for try await answer in group { answers.append(answer) }
                        return answers
                    }
                    #expect(answers.count == 12)
                    for (status, retryAfter, body, elapsed) in answers {
                        #expect(status == .conflict, "\(body)")
                        #expect(body.contains("return-busy"), "\(body)")
                        #expect(retryAfter == "1")
                        // Bounded by the lock limit (1 s) plus the machine's pace, far from the 20 s hold.
                        #expect(elapsed < .seconds(12), "\(elapsed)")
                    }
                    #expect(try await written() == before)
                    #expect(try await engine.lookup.details(of: held).record.state == "label_issued")

                    releasing.yield()
                    try await holder.value
                    // Released, the same request goes through.
                    let cancelled = try await client.execute(
                        uri: "/v1/status/\(heldToken)/cancel", method: .post,
                        headers: [HTTPFields.Element.Name("Idempotency-Key")!: "cancel-0"]
                    ) { $0.status }
                    #expect(cancelled == .ok || cancelled == .seeOther, "\(cancelled)")
                    #expect(try await engine.lookup.details(of: held).record.state == "cancelled")
                }
            }
        }
    }
}
