import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import ReturnsEngine
import ReturnsStore
@testable import ReturnsTestSupport
import Synchronization
import Testing

/// Replacement orders, charges and gift cards sent to the shop's providers, against a real PostgreSQL and a live
/// provider on loopback: what each provider receives, how often, and what the rows hold after.
@Suite("Resolutions sent to the shop's providers")
struct ProviderWebhookTests {
    /// A provider on loopback that records each POST (path, key, body as JSON) and answers what `answer` says.
    final class Provider: Sendable {
        struct Post: Sendable {
            var path: String
            var key: String
            var body: [String: String]
        }
        let posts = Mutex<[Post]>([])
        /// The status to answer the nth POST (1-based) to a path; 201 with `reference` otherwise.
        let answer: @Sendable (_ path: String, _ number: Int) -> HTTPResponse.Status

        init(answer: @escaping @Sendable (String, Int) -> HTTPResponse.Status = { _, _ in .created }) {
            self.answer = answer
        }

        func posts(to path: String) -> [Post] { posts.withLock { $0.filter { $0.path == path } } }

        func run(_ body: @escaping @Sendable (_ base: String) async throws -> Void) async throws {
            let router = Router()
            for path in ["/exchanges", "/charges", "/gift-cards"] {
                router.post(RouterPath(path)) { request, _ -> Response in
                    let data = Data(String(buffer: try await request.body.collect(upTo: 1 << 16)).utf8)
                    let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: String] ?? [:]
                    let key = request.headers[HTTPFields.Element.Name("Idempotency-Key")!] ?? ""
                    let number = self.posts.withLock { posts in
                        posts.append(Post(path: path, key: key, body: json))
                        return posts.filter { $0.path == path }.count
                    }
                    let status = self.answer(path, number)
                    guard status.code < 300 else { return Response(status: status) }
                    let reference = path == "/gift-cards" ? "CARD-\(number)" : "REF-\(number)"
                    return Response(
                        status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: #"{"reference": "\#(reference)"}"#)))
                }
            }
            try await Application(router: router).test(.live) { client in
                try await body("http://127.0.0.1:\(try #require(client.port))")
            }
        }
    }

    static let fast = RefundRetryPolicy(maxAttempts: 3, baseDelay: 0, leaseSeconds: 60)
    static let graded: [(String, [String: JSONValue])] = [
        ("ship", tracking), ("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("A")]),
        ("approve_refund", [:]),
    ]

    func stock(_ engine: Engine, _ sku: String, price: Int64, onHand: Int) async throws {
        let eur = try Currency(code: "EUR")
        _ = try await engine.exchangeCatalog.put(
            CatalogVariant(sku: sku, productID: "P-SHIRT", priceMinor: price, currency: eur, onHand: onHand))
    }

    func exchange(_ engine: Engine, _ ref: String, for sku: String) async throws -> CreatedReturn {
        try await engine.makeOrder(ref, lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
        return try await engine.transitions.create(
            from: ReturnFromOrder(
                orderRef: ref, proof: .email("\(ref.lowercased())@example.com"),
                lines: [.init(orderLine: "1", quantity: 1, resolution: .exchange, exchangeSKU: sku)]))
    }

    @Test("an order placed at receipt is POSTed with its idempotency key; a 503 is retried; sent once")
    func exchangeOrderSent() async throws {
        let shop = Provider { _, number in number == 1 ? .serviceUnavailable : .created }
        try await shop.run { base in
            let url = URL(string: base + "/exchanges")!
            try await TestDatabase.withEngine(webhooks: ProviderWebhooks(exchangeOrders: url)) { engine in
                try await stock(engine, "SHIRT-M", price: 6_000, onHand: 1)
                let created = try await exchange(engine, "WX-1", for: "SHIRT-M")
                try await engine.drive(created.id, [("ship", tracking), ("receive", [:])])
                let sender = engine.providerRequests
                #expect(try await sender.sendDue(.exchangeOrders, to: url, timeout: 10, retry: Self.fast).retrying == 1)
                #expect(try await sender.sendDue(.exchangeOrders, to: url, timeout: 10, retry: Self.fast).paid == 1)
                #expect(try await sender.sendDue(.exchangeOrders, to: url, timeout: 10, retry: Self.fast).paid == 0)
                let posts = shop.posts(to: "/exchanges")
                #expect(posts.count == 2)
                #expect(Set(posts.map(\.key)) == ["exchange:\(created.id.uuidString.lowercased()):1"])
                #expect(posts.last?.body["sku"] == "SHIRT-M" && posts.last?.body["order_ref"] == "WX-1")
                #expect(posts.last?.body["unit_price"] == "60.00" && posts.last?.body["quantity"] == "1")
                let stored = try await engine.rows("SELECT status, reference FROM exchange_orders", as: (String, String?).self)
                #expect(stored.first?.0 == "sent" && stored.first?.1 == "REF-2")
            }
        }
    }

    @Test("store credit: in the ledger at once; the gift card POSTed once with its key; its code is the provider's")
    func giftCardIssued() async throws {
        let cards = Provider()
        try await cards.run { base in
            let url = URL(string: base + "/gift-cards")!
            try await TestDatabase.withEngine(webhooks: ProviderWebhooks(giftCards: url)) { engine in
                try await engine.makeOrder("GC-1", customerID: "C-9", lines: ["SHIRT-S:1:60.00:general:P-SHIRT"])
                let created = try await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: "GC-1", proof: .email("gc-1@example.com"),
                        lines: [.init(orderLine: "1", quantity: 1, reason: "doesnt_fit", resolution: .storeCredit)]))
                try await engine.drive(created.id, Self.graded)
                // 60.00 less the 5.95 label, and the 10% bonus on 60.00: spendable before the card exists.
                #expect(try await engine.credits.statement(of: "C-9").balances["EUR"] == 6_005)
                let pending = try await engine.rows("SELECT status, amount_minor FROM gift_cards", as: (String, Int64).self)
                #expect(pending.count == 1 && pending.first?.0 == "pending" && pending.first?.1 == 6_005)
                async let first = engine.providerRequests.sendDue(.giftCards, to: url, timeout: 10, retry: Self.fast)
                async let second = engine.providerRequests.sendDue(.giftCards, to: url, timeout: 10, retry: Self.fast)
                #expect(try await first.paid + second.paid == 1)
                let posts = cards.posts(to: "/gift-cards")
                #expect(posts.count == 1)
                let post = try #require(posts.first)
                #expect(post.key.hasPrefix("gift-card:\(created.id.uuidString.lowercased()):"))
                #expect(post.body["customer"] == "C-9" && post.body["amount"] == "60.05" && post.body["currency"] == "EUR")
                #expect(post.body["expires_at"] != nil)
                let issued = try await engine.rows("SELECT status, reference FROM gift_cards", as: (String, String?).self)
                #expect(issued.first?.0 == "issued" && issued.first?.1 == "CARD-1")
                #expect(try await engine.credits.statement(of: "C-9").balances["EUR"] == 6_005)
            }
        }
    }

    @Test("an upsell's difference is charged through the payment adapter, once, with the action in its key")
    func upsellCharged() async throws {
        let payments = Provider()
        try await payments.run { base in
            let url = URL(string: base + "/charges")!
            try await TestDatabase.withEngine(webhooks: ProviderWebhooks(charges: url)) { engine in
                try await stock(engine, "SHIRT-L", price: 7_500, onHand: 3)
                let created = try await exchange(engine, "UP-1", for: "SHIRT-L")
                try await engine.drive(created.id, Self.graded)
                #expect(try await engine.count("SELECT count(*)::int FROM charges WHERE status = 'pending' AND amount_minor = 1500") == 1)
                #expect(try await engine.providerRequests.sendDue(.charges, to: url, timeout: 10, retry: Self.fast).paid == 1)
                #expect(try await engine.providerRequests.sendDue(.charges, to: url, timeout: 10, retry: Self.fast).paid == 0)
                let post = try #require(payments.posts(to: "/charges").first)
                #expect(payments.posts(to: "/charges").count == 1)
                #expect(post.body["action"] == "charge" && post.body["amount"] == "15.00" && post.body["line"] == "1")
                #expect(post.key.hasPrefix("charge:\(created.id.uuidString.lowercased()):") && post.key.hasSuffix(":charge"))
                let stored = try await engine.rows("SELECT status, reference FROM charges", as: (String, String?).self)
                #expect(stored.first?.0 == "charged" && stored.first?.1 == "REF-1")
            }
        }
    }

    @Test("instant exchange: the shop's order waits for the authorisation; the first scan releases it through the adapter")
    func instantAuthorized() async throws {
        let providers = Provider()
        try await providers.run { base in
            var catalog = TestDatabase.catalog
            catalog.policy.resolutions.exchange.shipOn = .request
            let webhooks = ProviderWebhooks(
                exchangeOrders: URL(string: base + "/exchanges")!, charges: URL(string: base + "/charges")!)
            try await TestDatabase.withEngine(catalog: catalog, webhooks: webhooks) { engine in
                try await stock(engine, "SHIRT-M", price: 6_000, onHand: 1)
                let created = try await exchange(engine, "IA-1", for: "SHIRT-M")
                let sender = engine.providerRequests
                // Not authorised yet: the replacement order is not sent.
                #expect(try await sender.sendDue(.exchangeOrders, to: webhooks.exchangeOrders!, timeout: 10, retry: Self.fast).paid == 0)
                #expect(try await sender.sendDue(.charges, to: webhooks.charges!, timeout: 10, retry: Self.fast).paid == 1)
                #expect(try await sender.sendDue(.exchangeOrders, to: webhooks.exchangeOrders!, timeout: 10, retry: Self.fast).paid == 1)
                try await engine.drive(created.id, [("ship", tracking)])
                #expect(try await sender.sendDue(.charges, to: webhooks.charges!, timeout: 10, retry: Self.fast).paid == 1)
                let charges = providers.posts(to: "/charges")
                #expect(charges.map { $0.body["action"] } == ["authorize", "release"])
                #expect(charges.last?.body["authorization_key"] == charges.first?.key)
                #expect(charges.first?.body["amount"] == "60.00")
                #expect(try await engine.rows("SELECT status FROM charges", as: String.self) == ["released"])
                #expect(providers.posts(to: "/exchanges").count == 1)
            }
        }
    }

    @Test("a refused authorisation fails the replacement order, which is never sent")
    func authorizationRefused() async throws {
        let providers = Provider { path, _ in path == "/charges" ? .init(code: 402) : .created }
        try await providers.run { base in
            var catalog = TestDatabase.catalog
            catalog.policy.resolutions.exchange.shipOn = .request
            let webhooks = ProviderWebhooks(
                exchangeOrders: URL(string: base + "/exchanges")!, charges: URL(string: base + "/charges")!)
            try await TestDatabase.withEngine(catalog: catalog, webhooks: webhooks) { engine in
                try await stock(engine, "SHIRT-M", price: 6_000, onHand: 1)
                _ = try await exchange(engine, "IR-1", for: "SHIRT-M")
                let sender = engine.providerRequests
                #expect(try await sender.sendDue(.charges, to: webhooks.charges!, timeout: 10, retry: Self.fast).failed == 1)
                #expect(try await sender.sendDue(.exchangeOrders, to: webhooks.exchangeOrders!, timeout: 10, retry: Self.fast).paid == 0)
                #expect(providers.posts(to: "/exchanges").isEmpty)
                let order = try await engine.rows("SELECT status, last_error FROM exchange_orders", as: (String, String?).self)
                #expect(order.first?.0 == "failed" && order.first?.1?.contains("payment authorisation refused") == true)
            }
        }
    }
}
