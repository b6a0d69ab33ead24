import Foundation

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
