import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

struct ReturnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "return",
        abstract: "Create returns, apply events to them, and look at them.",
        subcommands: [Create.self, Event.self, Show.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a return in its workflow's initial state.",
            discussion: """
                From an order of record (prices, currency, dates and region come from the order):
                  returns return create --order A-1001 --line 1:1:doesnt_fit --line 2:2
                Without an order of record (the prices given are trusted; no automatic approval applies):
                  returns return create --order A-1001 --customer ana@example.com --item SHOE-42:1:89.90:EUR
                """
        )

        @Option(help: "Workflow to follow: standard, specialist or keep-it (default: the policy routes by value and history).")
        var workflow: String?
        @Option(name: .customLong("ordered-at"), help: "With --item: when the order was placed (2026-11-02), for the return window. Default: today.")
        var orderedAt: String?
        @Option(help: "The order reference the items came from.")
        var order: String
        @Option(
            name: .customLong("line"),
            help: ArgumentHelp(
                "A line of the order of record to return, as LINE:QTY[:REASON[:RESOLUTION]] (LINE is the order's line id; "
                    + "RESOLUTION is refund, store_credit or exchange=SKU); repeat for more.",
                valueName: "line"))
        var lines: [String] = []
        @Option(
            name: .customLong("override-price"),
            help: ArgumentHelp(
                "With --line: set a line's unit price instead of the order's, as LINE:PRICE (needs --override-reason).",
                valueName: "line:price"))
        var priceOverrides: [String] = []
        @Option(name: .customLong("override-reason"), help: "Why the price is overridden; recorded in the return's history.")
        var overrideReason: String?
        @Option(help: "With --item: the customer's email address.")
        var customer: String?
        @Option(help: "The customer's locale for notifications (en, de, pt-BR...).")
        var locale = "en"
        @Option(help: "With --item: where the customer ships from (like EU or US-WEST); routine returns go to a partner there.")
        var region: String?
        @Option(
            name: .customLong("item"),
            help: ArgumentHelp(
                "Without an order of record: an item as SKU:QTY:UNIT_PRICE:CURRENCY[:CATEGORY[:REASON]] (price as a decimal, like 19.99); repeat for more.",
                valueName: "item"))
        var items: [String] = []
        @Option(name: .customLong("idempotency-key"), help: "Repeat-safe key: the same key answers with the first result.")
        var idempotencyKey: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            switch (lines.isEmpty, items.isEmpty) {
            case (true, true):
                throw ValidationError("give the order's lines (--line LINE:QTY[:REASON]) or, without an order of record, --item")
            case (false, false):
                throw ValidationError("give --line (an order of record) or --item (without one), not both")
            case (false, true):
                if customer != nil || region != nil || orderedAt != nil {
                    throw ValidationError("--customer, --region and --ordered-at come from the order with --line; leave them out")
                }
                if !priceOverrides.isEmpty && (overrideReason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                    throw ValidationError("--override-price needs --override-reason: say why, it is kept in the history")
                }
            case (true, false):
                if customer == nil { throw ValidationError("--item needs --customer EMAIL") }
                if !priceOverrides.isEmpty { throw ValidationError("--override-price is for --line; --item gives prices itself") }
            }
        }

        func run() async throws {
            let created = lines.isEmpty ? try await createTyped() : try await createFromOrder()
            if output.json {
                try printJSON(
                    CreatedOutput(
                        id: created.id.uuidString.lowercased(), token: created.token, state: created.state,
                        workflow: created.workflow))
            } else {
                print("created return \(created.id.uuidString.lowercased()) (\(created.workflow)@\(created.workflowVersion)), state \(created.state)")
                print("status token: \(created.token)")
                if !created.routing.isEmpty { print("routed to \(created.workflow): \(created.routing)") }
                if let partner = created.partner { print("assigned to partner \(partner)") }
                if created.replayed { print("(idempotency key seen before: this is the first result, nothing new was written)") }
            }
        }

        func createFromOrder() async throws -> CreatedReturn {
            var wanted: [ReturnFromOrder.Line] = []
            for text in lines {
                let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard (2...4).contains(parts.count), !parts[0].isEmpty, let quantity = Int(parts[1]), quantity > 0 else {
                    throw ValidationError(
                        "--line '\(text)': expected LINE:QTY[:REASON[:RESOLUTION]], like 1:2:doesnt_fit or 1:1:doesnt_fit:store_credit")
                }
                let reason = parts.count > 2 && !parts[2].isEmpty ? parts[2] : ReturnItem.defaultReason
                var resolution = Resolution.refund
                var sku: String?
                if parts.count > 3 {
                    // exchange=SKU names the variant wanted.
                    let chosen = parts[3].split(separator: "=", maxSplits: 1).map(String.init)
                    guard let named = Resolution(rawValue: chosen[0]), (named == .exchange) == (chosen.count == 2) else {
                        throw ValidationError(
                            "--line '\(text)': the resolution is refund, store_credit or exchange=SKU (the variant wanted)")
                    }
                    resolution = named
                    sku = chosen.count == 2 ? chosen[1] : nil
                }
                wanted.append(
                    .init(orderLine: parts[0], quantity: quantity, reason: reason, resolution: resolution, exchangeSKU: sku))
            }
            let overrides = try priceOverrides.map { text -> (String, String) in
                let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--override-price '\(text)': expected LINE:PRICE, like 1:79.90") }
                return (parts[0], parts[1])
            }
            return try await database.withEngine { engine in
                var prices: [String: Int64] = [:]
                if !overrides.isEmpty {
                    guard let stored = try await engine.orders.find(ref: order) else { throw EngineError.orderNotFound }
                    for (line, price) in overrides {
                        do {
                            let amount = try Money.parse(price, currency: stored.order.currency).minorUnits
                            guard amount >= 0 else { throw ValidationError("--override-price \(line):\(price): must not be negative") }
                            prices[line] = amount
                        } catch let error as ValidationError {
                            throw error
                        } catch {
                            throw ValidationError("--override-price \(line):\(price): \(error)")
                        }
                    }
                }
                return try await engine.transitions.create(
                    from: ReturnFromOrder(
                        orderRef: order, proof: .staff, lines: wanted, locale: locale, priceOverrides: prices,
                        overrideReason: overrideReason, startsAtOnce: false, workflow: workflow),
                    idempotencyKey: idempotencyKey, actor: "operator")
            }
        }

        func createTyped() async throws -> CreatedReturn {
            var parsed: [ReturnItem] = []
            for item in items {
                do { parsed.append(try ReturnItem.parse(item)) } catch { throw ValidationError("--item: \(error)") }
            }
            var ordered: Date?
            if let orderedAt {
                guard let date = Timestamp.parse(orderedAt) else {
                    throw ValidationError("--ordered-at '\(orderedAt)' is not a date; write it like 2026-11-02")
                }
                ordered = date
            }
            let request = NewReturn(
                workflow: workflow, orderRef: order, customerEmail: customer ?? "", locale: locale, items: parsed,
                orderedAt: ordered, region: region)
            return try await database.withEngine { engine in
                try await engine.transitions.create(request, idempotencyKey: idempotencyKey)
            }
        }

        struct CreatedOutput: Encodable {
            var id: String
            var token: String
            var state: String
            var workflow: String
        }
    }

    struct Event: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply an event to a return and print its new state.",
            discussion: "Example: returns return event 3f2b8c1e-... ship --data '{\"tracking_number\": \"1Z999\"}'"
        )

        @Argument(help: "The return's id.")
        var id: String
        @Argument(help: "The event, as named in the return's workflow.")
        var event: String
        @Option(help: "Event data as a JSON object.")
        var data: String?
        @Option(name: .customLong("idempotency-key"), help: "Repeat-safe key: the same key answers with the first result.")
        var idempotencyKey: String?
        @Option(name: .customLong("expect-version"), help: "Refuse unless the return is at this version (compare-and-set).")
        var expectedVersion: Int?
        @Option(help: "Who applies the event, recorded in history.")
        var actor = "cli"
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let returnID = try parseUUID(id)
            var payload: [String: JSONValue] = [:]
            if let data {
                do { payload = try JSONValue.parseObject(data) } catch { throw ValidationError("--data: \(error)") }
            }
            let result = try await database.withEngine { engine in
                try await engine.transitions.apply(
                    event, to: returnID, idempotencyKey: idempotencyKey, actor: actor, data: payload,
                    expectedVersion: expectedVersion)
            }
            if output.json {
                try printJSON(result)
            } else {
                print("\(result.from) --\(result.event)--> \(result.to)  (seq \(result.seq)\(result.replayed ? ", repeated key: nothing new written" : ""))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a return: state, items and its history.")

        @Argument(help: "The return's id.")
        var id: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let returnID = try parseUUID(id)
            let details = try await database.withEngine { engine in try await engine.lookup.details(of: returnID) }
            if output.json {
                try printJSON(ReturnView(details))
            } else {
                print(ReturnView(details).text)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List returns, most recently changed first.")

        @Option(help: "Only returns in this state.")
        var state: String?
        @Option(help: "At most this many (1 to 10000).")
        var limit = 50
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            try validateListLimit(limit)
        }

        func run() async throws {
            let records = try await database.withEngine { engine in try await engine.lookup.list(state: state, limit: limit) }
            if output.json {
                try printJSON(records.map(ReturnSummary.init))
                return
            }
            if records.isEmpty {
                print("no returns" + (state.map { " in state \($0)" } ?? ""))
                return
            }
            let rows = records.map { record in
                [record.id.uuidString.lowercased(), "\(record.workflowName)@\(record.workflowVersion)", record.state,
                 record.orderRef, record.updatedAt.shortText]
            }
            print(Table(header: ["id", "workflow", "state", "order", "updated"], rows: rows).text)
        }
    }
}

/// A return as the CLI prints it.
struct ReturnView: Encodable {
    struct Item: Encodable {
        var line: Int
        var sku: String
        var quantity: Int
        var unitPrice: String
        var currency: String
        var category: String
        var reason: String
        var received: Int
        var refunded: Int
        var grade: String?
        var disposition: String?
        var resolution: String
        var exchangeSku: String?
        var fallback: String?
    }

    struct Step: Encodable {
        var seq: Int
        var event: String
        var from: String?
        var to: String
        var actor: String
        var at: Date
    }

    struct Timer: Encodable {
        var name: String
        var event: String
        var dueAt: Date
    }

    struct Refund: Encodable {
        var id: String
        var amount: String
        var currency: String
        var status: String
    }

    var id: String
    /// The customer's status token, as `return create --json` gives it: show carries everything create does.
    var token: String
    var state: String
    var stateDescription: String
    /// The workflow's name and pinned version, as in `return create --json` and `return list --json`.
    var workflow: String
    var workflowVersion: Int
    var version: Int
    var order: String
    var customer: String
    var locale: String
    var paid: String
    var currency: String
    var items: [Item]
    var history: [Step]
    var timers: [Timer]
    var refunds: [Refund]
    /// Settlements (itemised per line and resolution), exchange orders, charges, store credit, reviews.
    var resolutions: ReturnResolutions

    init(_ details: ReturnDetails) {
        resolutions = details.resolutions
        let record = details.record
        func amount(_ minor: Int64) -> String {
            Money.decimalString(minorUnits: minor, currencyCode: record.currency)
        }
        id = record.id.uuidString.lowercased()
        state = record.state
        stateDescription = details.stateDescription
        token = record.statusToken
        workflow = record.workflowName
        workflowVersion = record.workflowVersion
        version = record.version
        order = record.orderRef
        customer = record.customerEmail
        locale = record.locale
        paid = amount(record.paidMinor)
        self.currency = record.currency
        items = details.items.map {
            Item(
                line: $0.line, sku: $0.sku, quantity: $0.quantity, unitPrice: amount($0.unitPriceMinor),
                currency: record.currency, category: $0.category, reason: $0.reason, received: $0.received,
                refunded: $0.refunded, grade: $0.grade, disposition: $0.disposition, resolution: $0.resolution,
                exchangeSku: $0.exchangeSKU, fallback: $0.fallback)
        }
        history = details.history.map {
            Step(seq: $0.seq, event: $0.event, from: $0.from, to: $0.to, actor: $0.actor, at: $0.at)
        }
        timers = details.pendingTimers.map { Timer(name: $0.name, event: $0.event, dueAt: $0.dueAt) }
        refunds = details.refunds.map {
            Refund(id: $0.id.uuidString.lowercased(), amount: amount($0.amountMinor), currency: $0.currency, status: $0.status)
        }
    }

    var text: String {
        var lines = [
            "return   \(id)",
            "state    \(state) — \(stateDescription)",
            "workflow \(workflow)@\(workflowVersion), version \(version)",
            "order    \(order), customer \(customer) (\(locale)), paid \(paid) \(currency)",
            "items",
        ]
        lines += items.map { item in
            var text = "  \(item.quantity) x \(item.sku) at \(item.unitPrice) \(item.currency) (\(item.category), \(item.reason))"
            if item.received > 0 { text += ", received \(item.received)" }
            if let grade = item.grade { text += ", grade \(grade) -> \(item.disposition ?? "?")" }
            if item.refunded > 0 { text += ", settled \(item.refunded)" }
            text += ", " + (item.resolution == "exchange" ? "exchange for \(item.exchangeSku ?? "?")" : item.resolution)
            if let fallback = item.fallback { text += " (out of stock: \(fallback))" }
            return text
        }
        let money = { (minor: Int64) in Money.decimalString(minorUnits: minor, currencyCode: self.currency) }
        for settlement in resolutions.settlements {
            var parts = ["refund \(money(settlement.refundMinor))"]
            if settlement.creditMinor + settlement.bonusMinor > 0 {
                parts.append("credit \(money(settlement.creditMinor)) + bonus \(money(settlement.bonusMinor))")
            }
            if settlement.chargeMinor > 0 { parts.append("charged \(money(settlement.chargeMinor))") }
            if settlement.labelMinor > 0 { parts.append("label \(money(settlement.labelMinor))") }
            lines.append("settled  " + parts.joined(separator: ", ") + " \(currency)")
        }
        lines += resolutions.exchanges.map { order in
            "exchange line \(order.line): \(order.quantity) x \(order.sku) at \(money(order.priceMinor)), order \(order.reference ?? "not sent yet") (\(order.status))"
                + (order.settlement.map { ", difference \(money(order.differenceMinor ?? 0)) \($0)" } ?? "")
        }
        lines += resolutions.reviews.map {
            "review   line \($0.line): \($0.kind), owed \(money($0.amountOwedMinor)) (\($0.status))"
        }
        if !refunds.isEmpty {
            lines.append("refunds")
            lines += refunds.map { "  \($0.amount) \($0.currency) \($0.status) (\($0.id))" }
        }
        if !timers.isEmpty {
            lines.append("timers")
            lines += timers.map { "  \($0.name): \($0.event) at \($0.dueAt.shortText)" }
        }
        lines.append("history")
        lines += history.map { step in
            let move = step.from.map { "\($0) -> \(step.to)" } ?? "-> \(step.to)"
            let seq = String(step.seq).leftPadded(to: 3)
            return "  \(seq)  \(step.at.shortText)  \(step.event.padded(to: 20)) \(move.padded(to: 44)) by \(step.actor)"
        }
        return lines.joined(separator: "\n")
    }
}

/// A line of `return list --json`.
struct ReturnSummary: Encodable {
    var id: String
    var workflow: String
    var workflowVersion: Int
    var state: String
    var version: Int
    var order: String
    var updatedAt: Date

    init(_ record: ReturnRecord) {
        id = record.id.uuidString.lowercased()
        workflow = record.workflowName
        workflowVersion = record.workflowVersion
        state = record.state
        version = record.version
        order = record.orderRef
        updatedAt = record.updatedAt
    }
}
