import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension URLSession {
    /// `data(for:)` through the completion-handler API. On Linux the async `data(for:)` of swift-corelibs-foundation
    /// can deadlock when the calling task is cancelled while the response is being handled (URLSessionTask.cancel
    /// waits on the queue that is resuming the task); seen here as a hung test run. Cancelling the caller does not
    /// cancel the request: it ends by its own timeout.
    func sendWithoutCancellation(_ request: URLRequest) async throws -> (Data, URLResponse) {
        try await withCheckedThrowingContinuation { continuation in
            let task = dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else if let response {
                    continuation.resume(returning: (data ?? Data(), response))
                } else {
                    continuation.resume(throwing: URLError(.badServerResponse))
                }
            }
            task.resume()
        }
    }
}

/// Why a request given up on by `withDeadline` failed.
struct DeadlinePassed: Error, CustomStringConvertible {
    var seconds: TimeInterval
    var description: String { "no answer within \(seconds) s" }
}

/// The result of `work`, or `DeadlinePassed` once `seconds` have gone by, whichever comes first. The work is not
/// awaited past the deadline (URLSession's own timeout is an idle timeout, and a peer that trickles bytes never
/// trips it); it ends by itself, and its result is dropped.
func withDeadline<T: Sendable>(_ seconds: TimeInterval, _ work: @escaping @Sendable () async throws -> T)
    async throws -> T
{
    let first = FirstResult<T>()
    return try await withCheckedThrowingContinuation { continuation in
        first.wait(continuation)
        Task {
            do { first.finish(.success(try await work())) } catch { first.finish(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            first.finish(.failure(DeadlinePassed(seconds: seconds)))
        }
    }
}

/// Resumes a continuation with whichever result comes first, once.
private final class FirstResult<T: Sendable>: Sendable {
    private let pending = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func wait(_ continuation: CheckedContinuation<T, any Error>) { pending.withLock { $0 = continuation } }

    func finish(_ result: Result<T, any Error>) {
        pending.withLock { continuation in
            continuation?.resume(with: result)
            continuation = nil
        }
    }
}
