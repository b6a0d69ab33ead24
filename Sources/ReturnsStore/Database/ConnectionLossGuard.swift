import NIOCore
import PostgresNIO
import Synchronization

/// Gives up on database work whose connection closed under it, instead of waiting for it forever.
///
/// postgres-nio 1.33 hands each statement to its channel without a write promise. Once a closed channel has
/// torn down its pipeline, a statement written to it is dropped and its result promise is never completed, so
/// the caller waits forever. That happens whenever a connection dies mid-transaction (PostgreSQL stopped with
/// `-m immediate`, a backend terminated): the ROLLBACK after the failed statement, or the next statement of a
/// transaction that had just finished one, never returns. An HTTP request then hangs, a worker loop stops for
/// good, and the pool never gets the lease back.
///
/// Work run here goes in a task of its own while the caller waits for its outcome. When the work's connection
/// closes and the work has not ended within `grace` (work that saw the failure ends at once), the caller gets
/// `StoreError.connectionLost` and the work is cancelled and left behind: work that hangs in such a statement stays
/// suspended (a few hundred bytes, only for work in flight when a connection dies); work that was merely slow
/// stops at its next cancellation point. Cancelling the caller cancels the work, and the caller still waits for
/// it, since the connection it holds may be alive.
final class ConnectionLossGuard: Sendable {
    let grace: TimeAmount
    private let state = Mutex(State())

    private struct State {
        var nextID: UInt64 = 0
        /// Connections whose close is watched (one callback each, for the connection's lifetime).
        var watched: Set<PostgresConnection.ID> = []
        /// How to fail each piece of work in flight, by connection.
        var inFlight: [PostgresConnection.ID: [UInt64: @Sendable () -> Void]] = [:]
        /// The connections that work is in flight on, for `closeAll`.
        var connections: [PostgresConnection.ID: PostgresConnection] = [:]
    }

    init(grace: TimeAmount = .milliseconds(250)) {
        self.grace = grace
    }

    func run<T: Sendable>(
        on connection: PostgresConnection, onItsEventLoop: Bool = false,
        _ work: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let outcome = Outcome<T>()
        let key = connection.id
        let (id, isNew) = state.withLock { state in
            state.nextID += 1
            state.inFlight[key, default: [:]][state.nextID] = { outcome.resolve(.failure(StoreError.connectionLost)) }
            state.connections[key] = connection
            return (state.nextID, state.watched.insert(key).inserted)
        }
        defer {
            state.withLock { state in
                state.inFlight[key]?[id] = nil
                if state.inFlight[key]?.isEmpty == true {
                    state.inFlight[key] = nil
                    state.connections[key] = nil
                }
            }
        }
        if isNew {
            let eventLoop = connection.eventLoop
            let grace = self.grace
            connection.closeFuture.whenComplete { [self] _ in
                eventLoop.scheduleTask(in: grace) { self.connectionClosed(key) }
            }
        }
        let task = Task(executorPreference: onItsEventLoop ? EventLoopTaskExecutor(connection.eventLoop) : nil) {
            do {
                outcome.resolve(.success(try await work(connection)))
            } catch {
                outcome.resolve(.failure(error))
            }
        }
        do {
            return try await withTaskCancellationHandler {
                try await outcome.value()
            } onCancel: {
                task.cancel()
            }
        } catch StoreError.connectionLost {
            task.cancel()  // work that is not stuck, only slow, stops at its next cancellation point
            throw StoreError.connectionLost
        }
    }

    /// Closes every connection that work is in flight on, here, without a word to the server (which may be out of
    /// reach): the work ends with `StoreError.connectionLost` after the grace, and the pool drops the connections.
    /// What the heartbeat does when the database stops answering. Answers how many it closed.
    @discardableResult
    func closeAll() -> Int {
        let open = state.withLock { Array($0.connections.values) }
        for connection in open { _ = connection.close() as EventLoopFuture<Void> }
        return open.count
    }

    private func connectionClosed(_ key: PostgresConnection.ID) {
        let stuck = state.withLock { state in
            state.watched.remove(key)
            state.connections[key] = nil
            return state.inFlight.removeValue(forKey: key)
        }
        stuck?.values.forEach { fail in fail() }
    }

    /// The first of the work's result and the guard's verdict, handed to the one caller waiting for it.
    private final class Outcome<T: Sendable>: Sendable {
        private enum Stage {
            case pending(CheckedContinuation<T, any Error>?)
            case done(Result<T, any Error>)
        }
        private let stage = Mutex(Stage.pending(nil))

        func resolve(_ result: Result<T, any Error>) {
            let waiting: CheckedContinuation<T, any Error>?? = stage.withLock { stage in
                guard case .pending(let continuation) = stage else { return .none }
                stage = .done(result)
                return .some(continuation)
            }
            if case .some(let continuation?) = waiting { continuation.resume(with: result) }
        }

        func value() async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<T, any Error>? = stage.withLock { stage in
                    switch stage {
                    case .done(let result): return result
                    case .pending: stage = .pending(continuation); return nil
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
