import Synchronization

/// Runs work against a limit without waiting for the work itself to end: a statement on a connection whose peer
/// went silent (a partition, a host that vanished) is never answered and ignores cancellation, so a caller that
/// must answer in time cannot simply cancel it and wait. The work runs in a task of its own; when `limit` passes
/// first, the caller hears `DeadlineExceeded`, the task is cancelled and left to end whenever it can.
enum Deadline {
    struct Exceeded: Error, CustomStringConvertible {
        let limit: Duration
        var description: String { "no answer within \(limit)" }
    }

    static func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        let outcome = Once<T>()
        let task = Task {
            do { outcome.resolve(.success(try await work())) } catch { outcome.resolve(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            outcome.resolve(.failure(Exceeded(limit: limit)))
        }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await outcome.value()
            } onCancel: {
                task.cancel()
                outcome.resolve(.failure(CancellationError()))
            }
        } catch let error as Exceeded {
            task.cancel()
            throw error
        }
    }

    /// The first result handed to it, delivered to the one caller waiting.
    final class Once<T: Sendable>: Sendable {
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
