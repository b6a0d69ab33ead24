import Foundation
import ReturnsCore

/// A message rendered and addressed, as every channel receives it.
public struct OutgoingNotification: Sendable, Hashable, Codable {
    public var messageID: UUID
    public var returnID: UUID
    public var seq: Int
    public var event: String
    public var state: String
    public var template: String
    /// The locale the template was rendered in (after fallback), and the one the customer asked for.
    public var locale: String
    public var requestedLocale: String
    public var to: String
    public var orderRef: String
    public var statusURL: String
    public var rendered: RenderedNotification
    /// The event data of the transition.
    public var data: [String: JSONValue]
    /// Which attempt this is, from 1.
    public var attempt: Int
}

/// How notifications leave the system. A thrown error is a failed attempt, retried later.
public protocol NotificationChannel: Sendable {
    /// The channel's name as stored in `outbox.channel`: `webhook` or `spool`.
    var name: String { get }
    func deliver(_ notification: OutgoingNotification) async throws
}

/// Why a delivery failed, in words for `outbox.last_error`.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
