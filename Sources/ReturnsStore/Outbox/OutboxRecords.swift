import Foundation

/// A notification claimed for delivery, with what the channels need to address it.
public struct OutboxMessage: Sendable, Hashable {
    public var id: Int64
    public var messageID: UUID
    public var returnID: UUID
    public var seq: Int
    public var template: String
    public var locale: String
    /// The payload the transition wrote, as JSON text.
    public var payload: String
    /// Attempts made before this one.
    public var attempts: Int
    public var customerEmail: String
    public var createdAt: Date
}

/// One outbox row as `returns notify list` shows it.
public struct OutboxEntry: Sendable, Hashable, Codable {
    public var messageID: UUID
    public var returnID: UUID
    public var seq: Int
    public var template: String
    public var locale: String
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?
}

/// What the outbox holds, read from the table (so every process sees the same figures).
public struct OutboxStats: Sendable, Hashable, Codable {
    public var pending: Int
    /// Seconds since the oldest pending message was written; 0 when none is pending.
    public var oldestPendingAgeSeconds: Double
    public var delivered: Int
    /// Failed delivery attempts over all messages.
    public var failedAttempts: Int
    public var dead: Int

    public init(pending: Int, oldestPendingAgeSeconds: Double, delivered: Int, failedAttempts: Int, dead: Int) {
        self.pending = pending
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.delivered = delivered
        self.failedAttempts = failedAttempts
        self.dead = dead
    }
}
