import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsEngine
@testable import ReturnsHTTP
import ReturnsStore
@testable import ReturnsTestSupport
import Synchronization
import Testing

@Suite("The database gate", .timeLimit(.minutes(5)))
struct DatabaseGateTests {
    @Test("a request already running that waits for a connection none can give is answered 503 long before one frees up, and its wait ends")
    func runningRequestEndsWhenNoConnectionCanBeHad() async throws {
        var settings = try await TestDatabase.makeDatabase()
        settings.maximumConnections = 1
        try await Database.with(settings) { database in
            let router = Router(context: ReturnsRequestContext.self)
            router.middlewares.add(ProblemMiddleware())
            router.middlewares.add(DatabaseGateMiddleware(database: database, wait: .seconds(1)))
            let (entered, entering) = AsyncStream<Void>.makeStream()
            let (held, holding) = AsyncStream<Void>.makeStream()
            let (release, releasing) = AsyncStream<Void>.makeStream()
            let leaseEnded = Mutex<String?>(nil)
            router.get("/lease") { _, _ -> String in
                // Past the gate while the connection was free; now it is taken, as all are while PostgreSQL is down.
                entering.yield()
                for await _ in held { break }
                do {
                    try await database.withConnection { _ in }
                    leaseEnded.withLock { $0 = "leased" }
                } catch {
                    leaseEnded.withLock { $0 = "\(type(of: error)): \(error)" }
                    throw error
                }
                return "leased"
            }
            // The pool's one connection is opened before the request, so the gate's first check finds it free: on a
            // loaded machine opening it can outlast the wait, and the request would be refused before the handler.
            try await database.withConnection { _ in }
            try await Application(router: router).test(.router) { client in
                let holder = Task {
                    var arrivals = entered.makeAsyncIterator()
                    guard await arrivals.next() != nil else { return false }
                    try await database.client.withConnection { _ in
                        holding.yield()
                        // Released by the test; the deadline keeps a regression a failure instead of a hang.
                        _ = await withTaskGroup(of: Void.self) { group in
                            group.addTask { for await _ in release { break } }
                            group.addTask { try? await Task.sleep(for: .seconds(180)) }
                            await group.next()
                            group.cancelAll()
                        }
                    }
                    return true
                }
                let started = ContinuousClock.now
                let answer = try await client.execute(uri: "/lease", method: .get) { response in
                    (response.status, String(buffer: response.body))
                }
                let took = ContinuousClock.now - started
                entering.finish()
                releasing.yield()
                let handlerRan = try await holder.value
                try #require(handlerRan, "the gate refused the request before its handler ran: \(answer.1)")
                #expect(answer.0 == .serviceUnavailable, "\(answer.1)")
                #expect(answer.1.contains("database-unavailable"), "\(answer.1)")
                // Twice the wait is 2 s on an idle machine; loaded full runs here took 13.7 s, 36 s and 39 s. The
                // connection is held 180 s, so a bound far below that shows the request was not left waiting for it.
                #expect(took < .seconds(90), "\(took)")
                // The lease wait was let go (postgres-nio answers a cancelled lease with ConnectionPoolError
                // requestCancelled), not left to end when the connection came back.
                let ended = leaseEnded.withLock { $0 } ?? "still waiting"
                #expect(ended.lowercased().contains("cancel"), "\(ended)")
            }
        }
    }
}
