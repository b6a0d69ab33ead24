import Hummingbird
import ReturnsEngine
import ReturnsStore

/// Answers 503 `database-unavailable` within about `wait` (twice that for a request already running) when no
/// database connection can be had, instead of letting the request wait in the pool for as long as PostgreSQL is
/// down: postgres-nio's pool queues a lease until a connection opens and gives up only after a minute.
///
/// A request first needs a connection within `wait`. While it runs, a watchdog checks every `wait` that a
/// connection can still be had; when none can, the handler is cancelled. Cancelling stops a handler that waits
/// for a lease (postgres-nio lets that go) but not a statement in flight; a statement whose connection died ends
/// through `Database`'s `ConnectionLossGuard`. Each transition is one transaction, so nothing is half-applied; a
/// client that retries with the same Idempotency-Key gets the first result if the transaction had committed.
/// Liveness, readiness and the API document pass straight through.
struct DatabaseGateMiddleware<Context: RequestContext>: RouterMiddleware {
    let database: Database
    let wait: Duration

    static var ungated: Set<String> { ["/health/live", "/health/ready", "/openapi.yaml"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if Self.ungated.contains(request.uri.path) { return try await next(request, context) }
        try await database.awaitConnection(within: wait)
        let database = self.database
        let wait = self.wait
        return try await withoutActuallyEscaping(next) { next in
            // The group below awaits the handler before it returns, so `next` never outlives this call.
            let handler = UncheckedHandler(run: next)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await handler.run(request, context) }
                group.addTask {
                    while true {
                        try await Task.sleep(for: wait)
                        do { try await database.awaitConnection(within: wait) } catch { return nil }
                    }
                }
                defer { group.cancelAll() }
                if let response = try await group.next() ?? nil { return response }
                throw StoreError.unreachable(
                    target: database.settings.description, detail: "the connection was lost during the request")
            }
        }
    }
}

/// The router's `next`, carried into the child task that runs it; see the note where it is made.
private struct UncheckedHandler<Context: RequestContext>: @unchecked Sendable {
    let run: (Request, Context) async throws -> Response
}
