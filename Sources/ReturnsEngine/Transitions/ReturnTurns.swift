import Foundation
import ReturnsStore
import Synchronization

/// Commands on one return (or creating one under one idempotency key) take turns inside this process before they
/// take a pooled connection.
///
/// The return's row lock orders them anyway, so letting them all wait in PostgreSQL gains nothing and costs a pooled
/// connection each: 26 requests on a return another session holds would take a pool of 20, and every other route of
/// the instance would wait with them. Here they wait in memory, in arrival order, and only the command whose turn it
/// is holds a connection. When that command gives up on the row lock (`StoreError.lockTimeout`), the return is held
/// by someone else, and everyone queued behind it hears the same at once instead of each waiting out the limit in
/// turn.
final class ReturnTurns: Sendable {
    private struct Waiter {
        let ticket: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// The commands waiting on one return (`return:ID`) or creation key (`create:KEY`); an entry exists while some
    /// command holds its turn.
    private let lines = Mutex<[String: [Waiter]]>([:])
    private let tickets = Atomic<UInt64>(0)

    /// Runs `body` when it is this command's turn on `id` (`return:ID`, `create:KEY`).
    func withTurn<T: Sendable>(on id: String, _ body: () async throws -> T) async throws -> T {
        try await take(id)
        do {
            let value = try await body()
            handOver(id, busy: nil)
            return value
        } catch let error as StoreError {
            if case .lockTimeout = error { handOver(id, busy: error) } else { handOver(id, busy: nil) }
            throw error
        } catch {
            handOver(id, busy: nil)
            throw error
        }
    }

    /// Waits for the turn on `id` (at once when nobody holds it).
    private func take(_ id: String) async throws {
        let ticket = tickets.add(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = lines.withLock { lines in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    guard lines[id] != nil else {
                        lines[id] = []
                        return .success(())
                    }
                    lines[id]!.append(Waiter(ticket: ticket, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter: Waiter? = lines.withLock { lines in
                guard let index = lines[id]?.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                return lines[id]!.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Gives the turn on `id` to the next command; with `busy`, every command waiting hears that error instead.
    private func handOver(_ id: String, busy: StoreError?) {
        let (next, refused): (Waiter?, [Waiter]) = lines.withLock { lines in
            guard var waiting = lines[id], !waiting.isEmpty else {
                lines[id] = nil
                return (nil, [])
            }
            if busy != nil {
                lines[id] = nil
                return (nil, waiting)
            }
            let next = waiting.removeFirst()
            lines[id] = waiting
            return (next, [])
        }
        next?.continuation.resume()
        if let busy { for waiter in refused { waiter.continuation.resume(throwing: busy) } }
    }
}
