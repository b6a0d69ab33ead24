import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Synchronization
import Testing

@Suite("Replacement orders sent to the shop's webhook")
struct ExchangeWebhookTests {
    /// A shop that fails the first POST (503), then accepts, recording each POST's key and body.
    final class Shop: Sendable {
        let posts = Mutex<[(key: String, body: String)]>([])
    }

    @Test("an order placed at receipt is POSTed with its idempotency key; a 503 is retried; sent once")
    func sends() async throws {
        let shop = Shop()
        let router = Router()
        router.post("/exchanges") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let key = request.headers[HTTPFields.Element.Name("Idempotency-Key")!] ?? ""
            let count = shop.posts.withLock { posts in
                posts.append((key, body))
                return posts.count
            }
            if count == 1 { return Response(status: .serviceUnavailable) }
            return Response(
                status: .created, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"reference": "SHOP-ORDER-9"}"#)))
        }
        try await Application(router: router).test(.live) { client in
            let url = URL(string: "http://127.0.0.1:\(try #require(client.port))/exchanges")!
            try await TestDatabase.withEngine(exchangeWebhook: url) { engine in
                let eur = try Currency(code: "EUR")
                _ = try await engine.exchangeCatalog.put(
                    CatalogVariant(sku: "SHIRT-M", productID: "P-SHIRT", priceMinor: 6_000, currency: eur, onHand: 1))
                try await engine.makeOrder("WX-1", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
                let created = try await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: "WX-1", proof: .email("wx-1@example.com"),
                        lines: [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: "SHIRT-M")]))
                try await engine.drive(created.id, [("ship", tracking), ("receive", [:])])
                let fast = RefundRetryPolicy(maxAttempts: 3, baseDelay: 0, leaseSeconds: 60)
                let first = try await engine.exchangeOrders.sendDue(to: url, timeout: 2, retry: fast)
                #expect(first.retrying == 1)
                let second = try await engine.exchangeOrders.sendDue(to: url, timeout: 2, retry: fast)
                #expect(second.paid == 1)
                #expect(try await engine.exchangeOrders.sendDue(to: url, timeout: 2, retry: fast).paid == 0)
                let posts = shop.posts.withLock { $0 }
                #expect(posts.count == 2)
                #expect(Set(posts.map(\.key)) == ["exchange:\(created.id.uuidString.lowercased()):1"])
                #expect(posts.last?.body.contains(#""sku":"SHIRT-M""#) == true && posts.last?.body.contains(#""order_ref":"WX-1""#) == true)
                let stored = try await engine.rows(
                    "SELECT status, reference FROM exchange_orders", as: (String, String?).self)
                #expect(stored.first?.0 == "sent" && stored.first?.1 == "SHOP-ORDER-9")
            }
        }
    }
}
