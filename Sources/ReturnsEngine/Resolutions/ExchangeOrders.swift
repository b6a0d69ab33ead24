import Foundation
import ReturnsCore
import ReturnsStore
import ServiceLifecycle

/// Replacement orders going to the shop: with a webhook configured (`Engine.exchangeWebhook`) each one placed waits
/// as `pending` and is POSTed with its idempotency key (`exchange:RETURN:LINE`), so a repeat creates one order at
/// the shop. Without one the `ledger` records them when they are placed and nothing is sent.
public struct ExchangeOrders: Sendable {
    let engine: Engine

    /// Sends every order due at the start of this pass, each once, through the shop's webhook at `url`; transient
    /// failures retry with backoff, a refusal or the last attempt marks the order failed (for operations to follow).
    public func sendDue(to url: URL, timeout: TimeInterval = 10, retry: RefundRetryPolicy = RefundRetryPolicy())
        async throws -> RefundReport
    {
        var report = RefundReport()
        let repository = engine.store.resolutions
        // One pass sends what was due when it began (the database's clock), each once.
        let passStart = try await engine.read { [engine] connection in try await engine.store.refunds.now(on: connection) }
        while true {
            let claimed = try await engine.read { connection in
                try await repository.claimDueExchange(leaseSeconds: retry.leaseSeconds, dueBy: passStart, on: connection)
            }
            guard let order = claimed else { return report }
            let body: [String: String] = [
                "return_id": order.returnID.uuidString.lowercased(), "line": "\(order.line)", "order_ref": order.orderRef,
                "sku": order.sku, "quantity": "\(order.quantity)",
                "unit_price": Money.decimalString(minorUnits: order.priceMinor, currencyCode: order.currency),
                "currency": order.currency, "idempotency_key": order.idempotencyKey,
            ]
            let outcome: Result<String?, RefundProviderError>
            do { outcome = .success(try await postIdempotent(body, to: url, key: order.idempotencyKey, timeout: timeout)) } catch {
                outcome = .failure(error)
            }
            let settled: String = try await engine.read { connection in
                switch outcome {
                case .success(let reference):
                    try await repository.settleExchangeSending(
                        order.returnID, line: order.line, status: "sent", reference: reference ?? order.idempotencyKey,
                        on: connection)
                    return "sent"
                case .failure(.transient(let reason)) where order.attempts < retry.maxAttempts:
                    try await repository.settleExchangeSending(
                        order.returnID, line: order.line, status: "pending", error: reason,
                        delaySeconds: retry.delay(afterAttempt: order.attempts), on: connection)
                    return "retrying"
                case .failure(let error):
                    try await repository.settleExchangeSending(
                        order.returnID, line: order.line, status: "failed", error: error.description, on: connection)
                    return "failed"
                }
            }
            switch settled {
            case "sent": report.paid += 1
            case "retrying": report.retrying += 1
            default: report.failed += 1
            }
        }
    }
}

/// Sends pending replacement orders to the shop's webhook in a loop until shutdown; workers in several processes
/// share the work through `SKIP LOCKED` claims with a lease.
public struct ExchangeWorker: Service {
    let engine: Engine
    let url: URL
    let interval: Duration

    public init(engine: Engine, url: URL, interval: Duration = .seconds(1)) {
        self.engine = engine
        self.url = url
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let report = try await engine.exchangeOrders.sendDue(to: url)
                    if report.paid + report.failed + report.retrying > 0 {
                        engine.logger.info(
                            "exchange orders sent",
                            metadata: ["sent": "\(report.paid)", "retrying": "\(report.retrying)", "failed": "\(report.failed)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    engine.logger.error("exchange order pass failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
