import Foundation
import ReturnsCore
import ReturnsStore
import ServiceLifecycle

/// The shop's provider webhooks, each optional: unset, the `ledger` records what would have been sent.
public struct ProviderWebhooks: Sendable, Hashable {
    /// Replacement orders (`RETURNS_EXCHANGE_WEBHOOK_URL`).
    public var exchangeOrders: URL?
    /// Charges and authorisations on the customer's payment (`RETURNS_CHARGE_WEBHOOK_URL`).
    public var charges: URL?
    /// Gift cards carrying store credit (`RETURNS_GIFT_CARD_WEBHOOK_URL`).
    public var giftCards: URL?

    public init(exchangeOrders: URL? = nil, charges: URL? = nil, giftCards: URL? = nil) {
        self.exchangeOrders = exchangeOrders
        self.charges = charges
        self.giftCards = giftCards
    }

    public func url(for queue: ProviderQueue) -> URL? {
        switch queue {
        case .exchangeOrders: exchangeOrders
        case .charges: charges
        case .giftCards: giftCards
        }
    }

    /// The provider named in the rows the engine writes for `queue`.
    func provider(for queue: ProviderQueue) -> String { url(for: queue) == nil ? "ledger" : "webhook" }
}

/// Sends what resolutions owe the shop's providers: each request POSTed as JSON with its idempotency key as
/// `Idempotency-Key` (a repeat is one order, one charge, one card at the provider); transient failures retry with
/// backoff, a refusal or the last attempt marks the request failed for operations to follow.
///
/// What each provider gets (every body also has `return_id`, `order_ref` and `idempotency_key`):
/// - replacement orders: `line`, `sku`, `quantity`, `unit_price`, `currency`; the answer's `reference` is the
///   shop's order.
/// - charges: `action` (`charge`, `authorize`, `capture`, `release`), `charge_id`, `line`, `amount`, `currency`.
///   A capture or release names the authorisation by its key; a capture of an authorisation the provider never
///   made charges the amount, a release of one is a no-op.
/// - gift cards: `customer`, `amount`, `currency`, `expires_at` when the credit expires; the answer's `reference`
///   is the card's code.
public struct ProviderRequests: Sendable {
    let engine: Engine

    /// Sends every request of `queue` due at the start of this pass, each once, to `url`.
    public func sendDue(
        _ queue: ProviderQueue, to url: URL, timeout: TimeInterval = 10, retry: RefundRetryPolicy = RefundRetryPolicy()
    ) async throws -> RefundReport {
        var report = RefundReport()
        let repository = engine.store.providerRequests
        // One pass sends what was due when it began (the database's clock), each once.
        let passStart = try await engine.read { [engine] connection in try await engine.store.refunds.now(on: connection) }
        while true {
            let claimed = try await engine.read { connection in
                try await repository.claimDue(queue, leaseSeconds: retry.leaseSeconds, dueBy: passStart, on: connection)
            }
            guard let request = claimed else { return report }
            let outcome: Result<String?, RefundProviderError>
            do {
                outcome = .success(
                    try await postIdempotent(Self.body(of: request), to: url, key: Self.key(of: request), timeout: timeout))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let reference):
                try await record(request, status: queue.done(from: request.status), reference: reference ?? request.idempotencyKey)
                report.paid += 1
            case .failure(.transient(let reason)) where request.attempts < retry.maxAttempts:
                try await record(
                    request, status: request.status, error: reason, delaySeconds: retry.delay(afterAttempt: request.attempts))
                report.retrying += 1
            case .failure(let error):
                try await record(request, status: "failed", error: "\(error.description) (attempt \(request.attempts))")
                report.failed += 1
            }
        }
    }

    /// The provider's answer, written once. A refused authorisation also fails the replacement order waiting for
    /// it: the shop does not ship what was not paid for.
    private func record(
        _ request: ProviderRequest, status: String, reference: String? = nil, error: String? = nil,
        delaySeconds: Double = 0
    ) async throws {
        try await engine.transaction { [engine] connection in
            let recorded = try await engine.store.providerRequests.record(
                request, status: status, reference: reference, error: error, delaySeconds: delaySeconds,
                on: connection)
            if recorded, request.queue == .charges, request.status == "authorizing", status == "failed",
                let line = request.fields["line"].flatMap(Int.init)
            {
                try await engine.store.resolutions.failExchangeOrder(
                    request.returnID, line: line, error: "payment authorisation refused: \(error ?? "")", on: connection)
            }
        }
    }

    /// The key the provider sees: a charge's action is part of it (an authorisation and its capture are two
    /// operations); the others are their row's key.
    static func key(of request: ProviderRequest) -> String {
        guard request.queue == .charges else { return request.idempotencyKey }
        return "\(request.idempotencyKey):\(action(of: request))"
    }

    static func action(of request: ProviderRequest) -> String {
        switch request.status {
        case "authorizing": "authorize"
        case "capturing": "capture"
        case "releasing": "release"
        default: "charge"
        }
    }

    static func body(of request: ProviderRequest) -> [String: String] {
        var body = [
            "return_id": request.returnID.uuidString.lowercased(), "order_ref": request.orderRef,
            "idempotency_key": key(of: request),
        ]
        let fields = request.fields
        let currency = fields["currency"] ?? ""
        func amount(_ field: String) -> String {
            Money.decimalString(minorUnits: fields[field].flatMap { Int64($0) } ?? 0, currencyCode: currency)
        }
        switch request.queue {
        case .exchangeOrders:
            body["line"] = fields["line"]
            body["sku"] = fields["sku"]
            body["quantity"] = fields["quantity"]
            body["unit_price"] = amount("price_minor")
        case .charges:
            body["action"] = action(of: request)
            body["charge_id"] = fields["charge_id"]
            body["line"] = fields["line"]
            body["amount"] = amount("amount_minor")
            if request.status != "authorizing" && request.status != "pending" {
                body["authorization_key"] = "\(request.idempotencyKey):authorize"
            }
        case .giftCards:
            body["customer"] = fields["customer"]
            body["amount"] = amount("amount_minor")
            body["expires_at"] = fields["expires_at"]
        }
        body["currency"] = currency
        return body
    }
}

/// Sends the requests of one provider queue in a loop until shutdown; workers in several processes share the work
/// through `SKIP LOCKED` claims with a lease.
public struct ProviderWorker: Service {
    let engine: Engine
    let queue: ProviderQueue
    let url: URL
    let interval: Duration

    public init(engine: Engine, queue: ProviderQueue, url: URL, interval: Duration = .seconds(1)) {
        self.engine = engine
        self.queue = queue
        self.url = url
        self.interval = interval
    }

    public func run() async throws {
        try await runPasses(engine: engine, named: queue.rawValue, every: interval) {
            try await engine.providerRequests.sendDue(queue, to: url)
        }
    }
}

/// A sending worker's loop: one pass, a line in the log when it did anything, a pause; until graceful shutdown.
/// A failed pass is logged and the next one tries again.
func runPasses(
    engine: Engine, named name: String, every interval: Duration, pass: @escaping @Sendable () async throws -> RefundReport
) async throws {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                let report = try await pass()
                if report.paid + report.failed + report.retrying > 0 {
                    engine.logger.info(
                        "\(name) sent",
                        metadata: ["sent": "\(report.paid)", "retrying": "\(report.retrying)", "failed": "\(report.failed)"])
                }
            } catch is CancellationError {
                return
            } catch {
                engine.logger.error("\(name) pass failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
