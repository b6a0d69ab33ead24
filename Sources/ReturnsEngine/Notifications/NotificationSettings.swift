import Foundation
import ReturnsCore

/// How a dispatcher behaves. Defaults suit production; tests shorten the times.
public struct NotificationSettings: Sendable {
    /// Where customers reach the status page; `status_url` is this plus `/status/TOKEN`.
    public var publicBaseURL: String
    public var retry: RetryPolicy
    /// Messages claimed per transaction (at most one per return), delivered concurrently.
    public var batchSize: Int
    /// The polling fallback: how long to wait for a `NOTIFY` before looking anyway.
    public var pollInterval: Duration
    /// Pause before reconnecting a lost LISTEN connection.
    public var reconnectDelay: Duration

    public init(
        publicBaseURL: String = "http://localhost:8080",
        retry: RetryPolicy = RetryPolicy(), batchSize: Int = 50, pollInterval: Duration = .seconds(2),
        reconnectDelay: Duration = .seconds(1)
    ) {
        self.publicBaseURL = publicBaseURL
        self.retry = retry
        self.batchSize = max(1, batchSize)
        self.pollInterval = pollInterval
        self.reconnectDelay = reconnectDelay
    }
}
