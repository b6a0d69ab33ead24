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
}
