import Foundation

/// What a transition writes into each outbox message, for the dispatcher to render a template from.
public struct OutboxPayload: Sendable, Hashable, Codable {
    public var orderRef: String
    public var event: String
    public var state: String
    public var statusToken: String
    /// The event's data, for templates that show what the partner or customer gave (a tracking number).
    public var data: [String: JSONValue]
    /// What was refunded or is on its way at the time, in minor units, for templates that state the amount.
    public var refundMinor: Int64
    public var currency: String

    public init(
        orderRef: String, event: String, state: String, statusToken: String, data: [String: JSONValue],
        refundMinor: Int64, currency: String
    ) {
        self.orderRef = orderRef
        self.event = event
        self.state = state
        self.statusToken = statusToken
        self.data = data
        self.refundMinor = refundMinor
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey {
        case orderRef = "order_ref", event, state, statusToken = "status_token", data, refundMinor = "refund_minor"
        case currency
    }

    /// The stored text: sorted keys, as every JSON the engine writes.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads a stored payload.
    public init(jsonText: String) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(jsonText.utf8))
    }
}
