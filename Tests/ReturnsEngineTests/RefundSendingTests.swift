import Foundation
import ReturnsCore
@testable import ReturnsEngine
@testable import ReturnsStore
import Synchronization
@testable import ReturnsTestSupport
import Testing
import WebhookSink

/// A provider that takes its time, and remembers every send and whether one refund was ever out twice at once.
final class SlowProvider: RefundProvider {
    let pause: Duration
    let inFlight = Mutex<[UUID: Int]>([:])
    let sends = Mutex<[UUID]>([])
    let overlaps = Mutex<[UUID]>([])

    init(pause: Duration) { self.pause = pause }

    var name: String { "slow" }

    func send(_ refund: RefundRow) async throws(RefundProviderError) -> String {
        let already = inFlight.withLock { flights in
            flights[refund.id, default: 0] += 1
            return flights[refund.id]! > 1
        }
        if already { overlaps.withLock { $0.append(refund.id) } }
        sends.withLock { $0.append(refund.id) }
        try? await Task.sleep(for: pause)
        inFlight.withLock { $0[refund.id]! -= 1 }
        return "ref-\(refund.id)"
    }
}

@Suite("Sending refunds")
struct RefundSendingTests {
    @Test("two workers and a slow provider: no refund is sent twice or twice at once, though sends outlast a lease")
    func noOverlapWithSlowProvider() async throws {
        try await TestDatabase.withEngine { engine in
            for _ in 0..<4 {
                let id = try await engine.makeReturn(workflow: "keep-it")
                _ = try await engine.transitions.apply("approve_refund", to: id, actor: "test")
            }
            // Four sends of 600 ms one after another take longer than a 1 s lease.
            let provider = SlowProvider(pause: .milliseconds(600))
            let retry = RefundRetryPolicy(maxAttempts: 5, baseDelay: 30, leaseSeconds: 1)
            async let first = engine.refunds.sendDue(through: provider, retry: retry)
            try await Task.sleep(for: .milliseconds(100))
            async let second = engine.refunds.sendDue(through: provider, retry: retry)
            let paid = try await first.paid + second.paid
            #expect(paid == 4)
            #expect(provider.overlaps.withLock { $0 }.isEmpty)
            let sends = provider.sends.withLock { $0 }
            #expect(sends.count == 4 && Set(sends).count == 4, "\(sends)")
            #expect(try await engine.count("SELECT count(*)::int FROM refunds WHERE status = 'succeeded'") == 4)
        }
    }

    @Test("a payment adapter that does not answer within the timeout is given up on at the timeout, as a temporary failure")
    func webhookTimeoutIsEnforced() async throws {
        let adapter = WebhookSink(secret: nil, delay: .seconds(30))
        let url = try await adapter.start()
        defer { Task { try? await adapter.stop() } }
        let provider = WebhookRefundProvider(url: url, timeout: 1)
        let refund = RefundRow(
            id: UUID(), returnID: UUID(), idempotencyKey: "refund:x:2", amountMinor: 1000, currency: "EUR",
            status: "pending", attempts: 1, lastError: nil, providerReference: nil, createdAt: Date())
        let started = ContinuousClock.now
        do {
            _ = try await provider.send(refund)
            Issue.record("the adapter never answered, yet the send succeeded")
        } catch {
            guard case .transient(let reason) = error else { Issue.record("\(error) is not temporary"); return }
            #expect(reason.contains("within 1.0 s"), "\(reason)")
        }
        let waited = ContinuousClock.now - started
        // The 1 s timeout, with room for a loaded machine (3.7 s seen with the whole suite running); the adapter
        // would have answered after 30 s.
        #expect(waited < .seconds(10), "waited \(waited)")
    }
}
