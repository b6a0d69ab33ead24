import Foundation
import ReturnsCore

/// Why the engine refused a command. Nothing was written when one of these is thrown.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case returnNotFound(UUID)
    case workflow(WorkflowError)
    case versionConflict(expected: Int, actual: Int)
    case idempotencyKeyReused(key: String)
    case unknownWorkflow(name: String, known: [String])
    case invalidInput(field: String, reason: String)
    case refusedByPolicy([PolicyRefusal])
    case notificationNotFound(UUID)
    case partnerNotFound(name: String)
    case partnerExists(name: String)
    case refundNotFound(UUID)
    /// No order with that reference, or not with that email or postal code: one answer for both.
    case orderNotFound
    /// Too many failed order lookups from this address or for this order; try again after the window.
    case tooManyLookups(retryAfterSeconds: Int)
    /// The order line has no units left to return; the detail says which and how many remain.
    case alreadyReturned(String)
    /// The change to an order is refused: it would undo what returns of it already hold.
    case orderConflict(String)
    /// The shop's order system did not answer in time, or answered something that is not an order.
    case orderSourceFailed(String, timedOut: Bool)
    /// Stock or store credit cannot cover the request: a replacement out of stock, a debit past the balance, stock
    /// set below what exchanges hold. The detail says which.
    case notAvailable(String)
    /// No variant with that SKU in the exchange catalog.
    case variantNotFound(String)

    public var description: String {
        switch self {
        case .returnNotFound(let id):
            return "no return with id \(id.uuidString.lowercased())"
        case .workflow(let error):
            return error.description
        case .versionConflict(let expected, let actual):
            return "the return is at version \(actual), not \(expected); reload it and decide again"
        case .idempotencyKeyReused(let key):
            return "idempotency key '\(key)' was already used for a different request; use a new key for a new request"
        case .unknownWorkflow(let name, let known):
            return "no workflow named '\(name)'; known workflows: \(known.joined(separator: ", "))"
        case .invalidInput(let field, let reason):
            return "\(field): \(reason)"
        case .refusedByPolicy(let refusals):
            return "the return policy refuses this return: " + refusals.map(\.description).joined(separator: "; ")
        case .notificationNotFound(let id):
            return "no notification with message id \(id.uuidString.lowercased()); `returns notify list` shows them"
        case .partnerNotFound(let name):
            return "no partner named '\(name)'; `returns partner list` shows them"
        case .partnerExists(let name):
            return "a partner named '\(name)' exists already; `returns partner rotate-key \(name)` gives it a new key"
        case .refundNotFound(let id):
            return "no refund with id \(id.uuidString.lowercased())"
        case .orderNotFound:
            return "no order matches this order number and email or postal code; check both as they appear on the "
                + "order confirmation"
        case .tooManyLookups(let seconds):
            return "too many order lookups failed; try again in \(seconds) seconds"
        case .alreadyReturned(let detail):
            return detail
        case .orderConflict(let detail):
            return detail
        case .orderSourceFailed(let detail, _):
            return detail + "; try again later"
        case .notAvailable(let detail):
            return detail
        case .variantNotFound(let sku):
            return "no variant \(sku) in the exchange catalog; `returns catalog show` lists them"
        }
    }

    /// The kind of refusal, for exit codes and HTTP statuses at the edges.
    public var kind: Kind {
        switch self {
        case .returnNotFound, .notificationNotFound, .partnerNotFound, .refundNotFound, .orderNotFound, .variantNotFound:
            .notFound
        case .workflow(.unknownEvent), .invalidInput, .unknownWorkflow: .invalid
        case .workflow, .refusedByPolicy, .partnerExists, .alreadyReturned, .orderConflict, .notAvailable: .conflict
        case .tooManyLookups: .rateLimited
        case .orderSourceFailed: .upstream
        case .versionConflict: .stale
        case .idempotencyKeyReused: .keyReused
        }
    }

    public enum Kind: Sendable {
        case notFound, invalid, conflict, stale, keyReused, rateLimited
        /// A system this one depends on failed.
        case upstream
    }
}
