import Foundation
import Logging
import ReturnsCore
import ReturnsEngine
import ReturnsReconcile
import ReturnsStore

/// Drives a few dozen returns through every path of the shipped workflows, including timer expiries,
/// so a newcomer sees the engine work end to end.
public struct DemoScenario: Sendable {
    /// One scripted path: the events applied in order to each copy.
    struct Path: Sendable {
        var name: String
        var workflow: String
        var copies: Int
        var events: [(String, [String: JSONValue])]
        var items: [String]
        /// How each item is settled: refund (the default), store_credit, or exchange=SKU.
        var resolutions: [String] = []
        /// The product the items are variants of (an exchange of the same product needs it).
        var product: String?
    }

    public struct Outcome: Sendable {
        public var path: String
        public var workflow: String
        public var id: UUID
        public var state: String
    }

    public struct Report: Sendable {
        public var outcomes: [Outcome]
        public var timers: TimerReport
        public var transitions: Int
        public var refused: Int
        /// The return whose whole timeline the demo prints.
        public var showcase: UUID?
        public var elapsed: Duration
        /// The orders file the demo imported first, and how many orders it held.
        public var ordersFile: String
        public var orders: Int
    }

    public init() {}

    static let tracking: [String: JSONValue] = ["tracking_number": .string("1Z999AA10123456784")]
    // Steps that are not events: the refund worker pays through the ledger, the provider declines, finance retries.
    static let pay = "(refund worker pays)"
    static let decline = "(provider declines)"
    static let financeRetry = "(finance retries)"
    static let shipped: [(String, [String: JSONValue])] = [("issue_label", [:]), ("ship", tracking)]

    static let paths: [Path] = [
        Path(
            name: "refunded and closed", workflow: "standard", copies: 8,
            events: shipped + [
                ("scan", [:]), ("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("A")]),
                ("approve_refund", [:]), (Self.pay, [:]), ("close", [:]),
            ],
            items: ["SHOE-42:1:89.90:EUR", "SOCK-3P:2:9.95:EUR"]),
        Path(
            name: "store credit with a 10% bonus", workflow: "standard", copies: 2,
            events: shipped + [("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:])],
            items: ["SHIRT-S:1:60.00:EUR"], resolutions: ["store_credit"], product: "P-SHIRT"),
        Path(
            name: "exchanged for a cheaper size, difference credited", workflow: "standard", copies: 2,
            events: shipped + [("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:])],
            items: ["SHIRT-S:1:60.00:EUR"], resolutions: ["exchange=SHIRT-M"], product: "P-SHIRT"),
        Path(
            name: "exchanged for a dearer size, difference charged", workflow: "standard", copies: 1,
            events: shipped + [("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:])],
            items: ["SHIRT-S:1:60.00:EUR"], resolutions: ["exchange=SHIRT-L"], product: "P-SHIRT"),
        Path(
            name: "cancelled before shipping", workflow: "standard", copies: 3,
            events: [("cancel", [:])], items: ["TEE-M:1:19.99:USD"]),
        Path(
            name: "cancelled with label issued", workflow: "standard", copies: 3,
            events: [("issue_label", [:]), ("cancel", [:])], items: ["TEE-L:1:19.99:USD"]),
        Path(
            name: "rejected on request", workflow: "standard", copies: 2,
            events: [("reject", ["reason": .string("outside the 30-day return window")])],
            items: ["LAMP-01:1:49.00:GBP"]),
        Path(
            name: "rejected after inspection", workflow: "standard", copies: 2,
            events: shipped + [
                ("receive", [:]), ("inspect", [:]), ("reject", ["reason": .string("wrong item in the parcel")]),
            ],
            items: ["CAM-77:1:349.00:EUR"]),
        Path(
            name: "refund declined, retried", workflow: "standard", copies: 2,
            events: shipped + [
                ("receive", [:]), ("inspect", [:]), ("grade", ["grade": .string("B")]), ("approve_refund", [:]),
                (Self.decline, [:]), (Self.financeRetry, [:]), (Self.pay, [:]),
            ],
            items: ["BAG-9:1:120.00:EUR"]),
        Path(
            name: "label expires (timer)", workflow: "standard", copies: 3,
            events: [("issue_label", [:])], items: ["HAT-2:1:25.00:USD"]),
        Path(
            name: "lost in transit (timer)", workflow: "standard", copies: 2,
            events: shipped, items: ["MUG-5:2:12.50:USD"]),
        Path(
            name: "inspection SLA breached (timer)", workflow: "standard", copies: 2,
            events: shipped + [("receive", [:])], items: ["DESK-1:1:199.00:EUR"]),
        Path(
            name: "specialist approves", workflow: "specialist", copies: 3,
            events: shipped + [
                ("receive", [:]), ("inspect", ["grade": .string("A")]), ("approve", [:]),
                (Self.pay, [:]), ("close", [:]),
            ],
            items: ["WATCH-GOLD:1:2450.00:EUR"]),
        Path(
            name: "specialist rejects", workflow: "specialist", copies: 2,
            events: shipped + [
                ("receive", [:]), ("inspect", ["grade": .string("X")]),
                ("reject", ["reason": .string("serial number does not match the order")]),
            ],
            items: ["LAPTOP-16:1:2899.00:USD"]),
        Path(
            name: "keep it, refunded", workflow: "keep-it", copies: 4,
            events: [("approve_refund", [:]), (Self.pay, [:]), ("close", [:])],
            items: ["CABLE-USB:1:7.99:EUR"]),
        Path(
            name: "keep it, refund times out (timer)", workflow: "keep-it", copies: 1,
            events: [("approve_refund", [:])], items: ["CASE-PH:1:14.99:EUR"]),
        Path(
            name: "keep it, rejected", workflow: "keep-it", copies: 1,
            events: [("reject", ["reason": .string("third keep-it request this month")])], items: ["PEN-4:3:2.50:EUR"]),
    ]

    /// Runs every path, tries one event that is not allowed, then lets 31 simulated days pass.
    public func run(on engine: Engine) async throws -> Report {
        let clock = ContinuousClock()
        let started = clock.now
        let run = String(UUID().uuidString.prefix(8).lowercased())
        var created: [(Path, UUID)] = []
        var transitions = 0
        let ledger = LedgerProvider(database: engine.database)
        // The shop's orders come first, through the same import an operator runs; every return is made from one.
        let ordersFile = try Self.writeOrdersFile(run: run)
        let orders = try OrderFileReader(path: ordersFile, format: .csv).read()
        _ = try await engine.orders.importOrders(orders, dryRun: false)
        // The variants exchanges may choose, through the same import (`returns catalog import`).
        let catalogFile = try Self.writeCatalogFile(run: run)
        _ = try await engine.exchangeCatalog.importVariants(try CatalogFileReader(path: catalogFile).read(), dryRun: false)
        for path in Self.paths {
            for copy in 1...path.copies {
                let number = created.count + 1
                let order = orders[number - 1]
                let request = ReturnFromOrder(
                    orderRef: order.ref, proof: .staff,
                    lines: order.lines.enumerated().map { index, line in
                        let chosen = (index < path.resolutions.count ? path.resolutions[index] : "refund")
                            .split(separator: "=").map(String.init)
                        return ReturnFromOrder.Line(
                            orderLine: line.lineID, quantity: line.quantity, reason: ReturnItem.defaultReason,
                            resolution: Resolution(rawValue: chosen[0]) ?? .refund, exchangeSKU: chosen.count > 1 ? chosen[1] : nil)
                    },
                    locale: ["en", "de", "es", "fr", "ja"][number % 5], startsAtOnce: false, workflow: path.workflow)
                let id = try await engine.transitions.create(
                    from: request, idempotencyKey: "demo-\(run)-\(path.name)-\(copy)", actor: "demo"
                ).id
                for (event, data) in path.events {
                    let refund = try await engine.lookup.details(of: id).refunds.last?.id
                    switch (event, refund) {
                    case (Self.pay, _):
                        _ = try await engine.refunds.sendDue(through: ledger)
                    case (Self.decline, let refund?):
                        try await engine.refunds.fail(refund, reason: "declined by the card issuer (demo)")
                    case (Self.financeRetry, let refund?):
                        try await engine.refunds.retry(refund)
                    default:
                        _ = try await engine.transitions.apply(
                            event, to: id, idempotencyKey: "demo-\(run)-\(event)", actor: "demo", data: data)
                    }
                    transitions += 1
                }
                created.append((path, id))
            }
        }
        // Closing a return that still waits for its parcel is refused and changes nothing.
        var refused = 0
        if let (_, id) = created.first(where: { $0.0.name == "label expires (timer)" }) {
            do {
                _ = try await engine.transitions.apply("close", to: id, actor: "demo")
            } catch EngineError.workflow {
                refused += 1
            }
        }
        let timers = try await engine.timers.fireDue(asOf: Date().addingTimeInterval(31 * 86_400))
        var outcomes: [Outcome] = []
        for (path, id) in created {
            let state = try await engine.lookup.details(of: id).record.state
            outcomes.append(Outcome(path: path.name, workflow: path.workflow, id: id, state: state))
        }
        return Report(
            outcomes: outcomes, timers: timers, transitions: transitions, refused: refused, showcase: created.first?.1,
            elapsed: clock.now - started, ordersFile: ordersFile, orders: orders.count)
    }

    /// A CSV of the orders the demo's returns are made from: one order per copy of each path, its lines the path's
    /// items. Written to a temporary folder, as a shop's export would be.
    static func writeOrdersFile(run: String) throws -> String {
        var rows = [
            "order_ref,customer_email,customer_id,ordered_at,delivered_at,currency,region,line_id,sku,product_id,quantity,unit_price,category"
        ]
        let ordered = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-5 * 86_400))
        let delivered = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-2 * 86_400))
        var number = 0
        for path in paths {
            for _ in 1...path.copies {
                number += 1
                for (index, text) in path.items.enumerated() {
                    let item = try ReturnItem.parse(text)
                    rows.append(
                        ["DEMO-\(run)-\(number)", "customer\(number)@example.com", "C-\(run)-\(number)", ordered, delivered,
                         item.unitPrice.currency.code, "EU", "\(index + 1)", item.sku, path.product ?? "", "\(item.quantity)",
                         item.unitPrice.decimalString, item.category].joined(separator: ","))
                }
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("returns-demo-orders-\(run).csv")
        try (rows.joined(separator: "\r\n") + "\r\n").write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// The shop's exchangeable shirts, one size cheaper and one dearer than the size returned.
    static func writeCatalogFile(run: String) throws -> String {
        let rows = [
            "sku,product_id,title,attributes,price,currency,on_hand",
            "SHIRT-S,P-SHIRT,Oxford shirt,size=S,60.00,EUR,10",
            "SHIRT-M,P-SHIRT,Oxford shirt,size=M,55.00,EUR,10",
            "SHIRT-L,P-SHIRT,Oxford shirt (long),size=L,75.00,EUR,10",
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("returns-demo-catalog-\(run).csv")
        try (rows.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }
}
