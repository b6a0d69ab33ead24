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
    /// Each returned line and how it is settled.
    public var lines: [LineSummary] = []
    /// Store credit the return gave (bonus included), once given.
    public var credit: CreditSummary?
    /// Whether the customer can still cancel (the parcel has not shipped).
    public var canCancel: Bool
    /// The page labels in `locale`, for rendering.
    public var labels: [String: String]
    /// Whether the page asks "Did we resolve your problem?": the return has ended with a resolution (not
    /// cancelled by the customer, not expired unused), or its money has been sent.
    public var asksFeedback = false
    /// The customer's answer, once given, and until when it can be changed (a detailed status).
    public var feedback: FeedbackSummary?
    /// Of a detailed status (the status page and the return authorisation): the return's reference, which its
    /// partner scans, its workflow, whether the workflow ships the items back, and each settlement itemised.
    public var returnID: String?
    public var workflow: String?
    public var isShipped = true
    public var settlements: [Settlement] = []

    public struct FeedbackSummary: Sendable, Hashable, Codable {
        public var resolved: Bool
        public var reason: String?
        public var comment: String
        public var changeableUntil: Date
        public var followUp: Bool
    }

    public struct TimelineEntry: Sendable, Hashable, Codable {
        public var state: String
        public var description: String
        public var at: Date
    }

    public struct LineSummary: Sendable, Hashable, Codable {
        public var sku: String
        public var quantity: Int
        /// refund, store_credit or exchange.
        public var resolution: String
        /// For an exchange: the variant the customer gets.
        public var exchangeSKU: String?
    }

    public struct CreditSummary: Sendable, Hashable, Codable {
        public var amount: String
        public var currency: String
    }

    public struct RefundSummary: Sendable, Hashable, Codable {
        /// A decimal string in the currency's units ("12.50", "1500" for JPY).
        public var amount: String
        public var currency: String
        /// `pending` while any part is on its way, `sent` when the provider confirmed all of it.
        public var status: String
    }
}

extension CustomerStatus.FeedbackSummary {
    init(_ record: FeedbackRecord) {
        self.init(
            resolved: record.resolved, reason: record.reason, comment: record.comment,
            changeableUntil: record.firstAnsweredAt.addingTimeInterval(14 * 86_400), followUp: record.followUp != nil)
    }
}
