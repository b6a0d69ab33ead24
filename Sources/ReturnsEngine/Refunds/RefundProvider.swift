import Foundation
import ReturnsCore
import ReturnsStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where refunds are paid out. `send` must be safe to repeat with the same idempotency key.
public protocol RefundProvider: Sendable {
    var name: String { get }
    /// Pays `refund` and returns the provider's reference for it.
    func send(_ refund: RefundRow) async throws(RefundProviderError) -> String
}

/// A provider's refusal: transient ones are retried with backoff, permanent ones fail the refund at once.
public enum RefundProviderError: Error, Sendable, CustomStringConvertible {
    case transient(String)
    case permanent(String)

    public var description: String {
        switch self {
        case .transient(let reason): "temporary failure: \(reason)"
        case .permanent(let reason): "refused: \(reason)"
        }
    }
}

/// Records refunds as approved for payout in this database; `returns refunds export-settlement` writes them
/// in the settlement format that `reconcile refunds` reads.
public struct LedgerProvider: RefundProvider {
    let repository: RefundRepository
    let database: Database

    public init(database: Database) {
        self.database = database
        self.repository = RefundRepository(logger: database.logger)
    }

    public var name: String { "ledger" }

    public func send(_ refund: RefundRow) async throws(RefundProviderError) -> String {
        do {
            return try await database.withConnection { [repository] connection in
                try await repository.approvePayout(refund, on: connection)
            }
        } catch {
            throw .transient(StoreError.describe(error))
        }
    }
}

/// POSTs each refund to a payment adapter, with the refund's idempotency key as `Idempotency-Key`.
/// 2xx pays (the reference is the body's `reference`, else the refund id); 408, 429 and 5xx are retried; other
/// answers refuse.
public struct WebhookRefundProvider: RefundProvider {
    public let url: URL
    public let timeout: TimeInterval

    public init(url: URL, timeout: TimeInterval = 10) {
        self.url = url
        self.timeout = timeout
    }

    public var name: String { "webhook" }

    public func send(_ refund: RefundRow) async throws(RefundProviderError) -> String {
        let amount = Money.decimalString(minorUnits: refund.amountMinor, currencyCode: refund.currency)
        let body: [String: String] = [
            "refund_id": refund.id.uuidString.lowercased(), "return_id": refund.returnID.uuidString.lowercased(),
            "amount": amount, "currency": refund.currency, "idempotency_key": refund.idempotencyKey,
        ]
        return try await postIdempotent(body, to: url, key: refund.idempotencyKey, timeout: timeout)
            ?? refund.id.uuidString.lowercased()
    }
}

/// POSTs `body` as JSON to `url` with `key` as `Idempotency-Key`: what every provider webhook (refunds, exchange
/// orders) gets. 2xx answers the body's `reference` (nil without one); no answer, 408, 429 and 5xx are transient;
/// other answers refuse.
func postIdempotent(_ body: [String: String], to url: URL, key: String, timeout: TimeInterval)
    async throws(RefundProviderError) -> String?
{
    var request = URLRequest(url: url, timeoutInterval: timeout)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.setValue(key, forHTTPHeaderField: "Idempotency-Key")
    request.httpBody = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    let data: Data
    let response: URLResponse
    do {
        (data, response) = try await withDeadline(timeout) { [request] in
            try await URLSession.shared.sendWithoutCancellation(request)
        }
    } catch {
        let reason = (error as? DeadlinePassed)?.description ?? error.localizedDescription
        throw .transient("\(url.absoluteString) did not answer: \(reason)")
    }
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    switch status {
    case 200..<300:
        let answer = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        return answer?["reference"] as? String
    case 408, 429, 500..<600:
        throw .transient("\(url.absoluteString) answered \(status)")
    default:
        throw .permanent("\(url.absoluteString) answered \(status): \(String(decoding: data.prefix(200), as: UTF8.self))")
    }
}
