import Foundation
import ReturnsCore
import ReturnsStore

/// What one pass of the refund worker did.
public struct RefundReport: Sendable, Hashable, Codable {
    public var paid = 0
    public var retrying = 0
    public var failed = 0

    public init() {}
}

/// How refunds are retried.
public struct RefundRetryPolicy: Sendable {
    public var maxAttempts: Int
    /// The first retry's delay; each next one doubles, with up to 20% jitter.
    public var baseDelay: Double
    /// How long a claimed refund is left to its worker before another may take it.
    public var leaseSeconds: Int

    public init(maxAttempts: Int = 5, baseDelay: Double = 30, leaseSeconds: Int = 120) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.leaseSeconds = leaseSeconds
    }

    func delay(afterAttempt attempt: Int) -> Double {
        let exponential = baseDelay * pow(2, Double(max(attempt - 1, 0)))
        return exponential * Double.random(in: 0.8...1.2)
    }
}

/// Which refund provider pays refunds.
public enum RefundProviderKind: String, Sendable, CaseIterable {
    /// Records payouts in `ledger_payouts`, for the settlement export.
    case ledger
    /// POSTs each refund to the payment adapter's URL with its idempotency key.
    case webhook
}
