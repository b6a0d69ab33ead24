import Foundation
import ReturnsCore
import ReturnsStore

/// What a customer may see of their return: no internal notes, no partner, no ids beyond the order reference.
public struct CustomerStatus: Sendable, Hashable, Codable {
    public var orderRef: String
    public var state: String
    /// The state in the customer's words and locale.
    public var description: String
    /// The locale the texts are in (the return's, or the nearest one there are texts for).
    public var locale: String
    public var nextStep: String?
    /// When the next step is due: the running timer of the current state.
    public var expectedBy: Date?
    public var timeline: [TimelineEntry]
    public var refund: RefundSummary?
    /// Whether the customer can still cancel (the parcel has not shipped).
    public var canCancel: Bool
    /// The page labels in `locale`, for rendering.
    public var labels: [String: String]

    public struct TimelineEntry: Sendable, Hashable, Codable {
        public var state: String
        public var description: String
        public var at: Date
    }

    public struct RefundSummary: Sendable, Hashable, Codable {
        /// A decimal string in the currency's units ("12.50", "1500" for JPY).
        public var amount: String
        public var currency: String
        /// `pending` while any part is on its way, `sent` when the provider confirmed all of it.
        public var status: String
    }
}

extension Engine {
    /// The status behind a customer's token, or nil for a token that opens nothing.
    public func customerStatus(token: String) async throws -> CustomerStatus? {
        guard token.count <= 128 else { return nil }
        let read = try await database.withConnection { [self] connection -> (StatusSnapshot, WorkflowDefinition)? in
            guard let snapshot = try await returns.statusSnapshot(token: token, on: connection) else { return nil }
            let record = snapshot.record
            let definition = try await definition(
                name: record.workflowName, version: record.workflowVersion, on: connection)
            return (snapshot, definition)
        }
        guard let (found, definition) = read else { return nil }
        let record = found.record
        let (locale, texts) = catalog.statusTexts.texts(for: record.locale)
        func describe(_ state: String) -> String {
            texts.states[state] ?? definition.state(named: state)?.description ?? state
        }
        let timeline = found.changes.map {
            CustomerStatus.TimelineEntry(state: $0.state, description: describe($0.state), at: $0.at)
        }
        var refund: CustomerStatus.RefundSummary?
        if found.refunds > 0, let currency = try? Currency(code: record.currency) {
            refund = .init(
                amount: Money(minorUnits: found.refundedMinor, currency: currency).decimalString,
                currency: record.currency, status: found.refundsAllSent ? "sent" : "pending")
        }
        return CustomerStatus(
            orderRef: record.orderRef, state: record.state, description: describe(record.state), locale: locale,
            nextStep: texts.next[record.state], expectedBy: found.nextDue, timeline: timeline,
            refund: refund, canCancel: (try? definition.decide(event: "cancel", in: record.state)) != nil,
            labels: texts.labels)
    }

    /// Cancels the return behind a customer's token while it has not shipped. Cancelling a cancelled return again
    /// answers as the first time did. Nil for a token that opens nothing.
    public func cancel(token: String, idempotencyKey: String?) async throws -> CustomerStatus? {
        let id = try await database.withConnection { [self] connection in
            try await returns.findReturn(token: token, on: connection)?.id
        }
        guard let id else { return nil }
        do {
            _ = try await apply("cancel", to: id, idempotencyKey: idempotencyKey, actor: "customer")
        } catch EngineError.workflow(.eventNotAllowed(_, let state, _)) where state == "cancelled" {
            // Already cancelled: the customer's intent holds.
        }
        return try await customerStatus(token: token)
    }
}
