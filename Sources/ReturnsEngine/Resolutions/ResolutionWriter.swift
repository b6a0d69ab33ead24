import Foundation
import ReturnsCore
import ReturnsStore

/// The engine's template for telling a customer that the replacement they chose could not ship, and what the line
/// became instead. Sent by the engine itself, not by a workflow's action, so every locale must have it.
enum EngineTemplate {
    static let exchangeUnavailable = "exchange_unavailable"
    static let all = [exchangeUnavailable]
}

/// How returned lines are resolved, inside the transition that settles them: replacement orders placed, stock
/// shipped, money split between the refund, store credit and charges, reviews opened where the units judged do
/// not match what was already given. Every write is keyed by the return, the line and the step, so a step
/// replayed or a timer fired twice writes once.
extension DecisionWriter {
    /// Moments of a return that resolutions can wait for, told by the step that was just taken.
    enum Moment {
        case firstScan, delivered, receipt
    }

    /// The engine's timer of an instant exchange: past it, a return that has not shipped pays for its replacement.
    static let instantDeadline = "exchange_deadline"

    /// What the policy does at `moment`: ship the replacements when exchanges ship then, release the money of
    /// refunded lines when this return's customer tier is paid then. At the first scan an instant exchange's
    /// authorisation is released: the customer kept their side.
    func reach(_ moment: Moment, record: ReturnRecord, seq: Int, on connection: DatabaseConnection) async throws {
        let terms = engine.catalog.policy.resolutions
        if moment == .firstScan {
            if try await !engine.store.resolutions.settleAuthorizations(record.id, capture: false, on: connection).isEmpty {
                try await engine.store.timers.cancelTimer(record.id, name: Self.instantDeadline, on: connection)
            }
        }
        let shipsNow =
            switch moment {
            case .firstScan: terms.exchange.shipOn == .firstScan
            case .delivered: false
            case .receipt: terms.exchange.shipOn == .receipt
            }
        if shipsNow { try await placeExchanges(for: record, seq: seq, on: connection) }
        let release = try await engine.store.resolutions.releaseMoment(of: record.id, on: connection)
        let releasesNow =
            switch moment {
            case .firstScan: release == .firstScan
            case .delivered: release == .delivered
            case .receipt: release == .receipt
            }
        if releasesNow { _ = try await settle(record, seq: seq, early: moment, on: connection) }
    }

    /// An instant exchange, in the transaction that makes the return: the replacements ship now, their price is
    /// authorised on the customer's payment (the ledger records it; a payment provider is asked, and the shop's order
    /// waits for its answer), and the deadline is armed.
    func shipInstantly(_ record: ReturnRecord, seq: Int, on connection: DatabaseConnection) async throws {
        try await placeExchanges(for: record, seq: seq, on: connection)
        var authorized = false
        for order in try await engine.store.resolutions.exchangeOrders(of: record.id, on: connection) {
            let (amount, overflow) = order.priceMinor.multipliedReportingOverflow(by: Int64(order.quantity))
            guard !overflow, amount > 0 else { continue }
            try await engine.store.resolutions.authorize(
                record.id, line: order.line, key: "instant:\(record.id.uuidString.lowercased()):\(order.line)",
                amountMinor: amount, currency: record.currency, provider: engine.webhooks.provider(for: .charges), seq: seq,
                on: connection)
            authorized = true
        }
        if authorized {
            try await engine.store.timers.armTimer(
                record.id, name: Self.instantDeadline, event: Self.instantDeadline, state: record.state, seq: seq,
                seconds: engine.catalog.policy.resolutions.exchange.instantDeadlineDays * 86_400, base: nil,
                on: connection)
        }
    }

    /// The instant exchange's deadline passed (or the return ended) without the return shipping: its open
    /// authorisations are charged, once however often this runs, and the history says so.
    func chargeUnshipped(_ record: ReturnRecord, actor: String, on connection: DatabaseConnection) async throws {
        // A workflow that never ships (keep-it) owes nothing for not shipping.
        let ships = try await engine.definition(of: record, on: connection).transitions.contains {
            $0.event == EngineEvent.ship.rawValue
        }
        guard ships, try await !engine.store.resolutions.hasShipped(record.id, on: connection) else { return }
        let lines = try await engine.store.resolutions.settleAuthorizations(record.id, capture: true, on: connection)
        guard !lines.isEmpty else { return }
        let seq = record.version + 1
        try await engine.store.returns.updateState(record.id, state: record.state, version: seq, on: connection)
        try await engine.store.returns.appendEvent(
            record.id, seq: seq, event: "exchange_charged", from: record.state, to: record.state, actor: actor,
            dataJSON: JSONValue.canonicalText(["lines": .array(lines.map { .number(Double($0)) })]), on: connection)
    }

    /// Sends the replacement order of every exchange line not placed yet: its held stock (or free stock, when the
    /// hold lapsed) is taken off the shelf and the order recorded under the line's key. A line whose replacement
    /// is out of stock falls back to the policy's refund or store credit, and the customer is told.
    func placeExchanges(for record: ReturnRecord, seq: Int, on connection: DatabaseConnection) async throws {
        let id = record.id
        let placed = Set(try await engine.store.resolutions.exchangeOrders(of: id, on: connection).map(\.line))
        let items = try await engine.store.items.itemStates(of: id, on: connection)
        var fellBack: [String] = []
        for item in items where item.resolution == Resolution.exchange.rawValue && item.fallback == nil {
            guard !placed.contains(item.line), let sku = item.exchangeSKU else { continue }
            if let price = try await engine.store.catalog.ship(
                id, line: item.line, sku: sku, quantity: item.quantity, on: connection)
            {
                let key = "exchange:\(id.uuidString.lowercased()):\(item.line)"
                // The ledger's reference is made here; a webhook's comes back when the order is sent.
                let ledger = engine.webhooks.exchangeOrders == nil
                _ = try await engine.store.resolutions.insertExchangeOrder(
                    id, line: item.line, sku: sku, quantity: item.quantity, priceMinor: price, currency: record.currency,
                    key: key, provider: ledger ? "ledger" : "webhook",
                    reference: ledger ? "EX-" + String(sha256Hex(key).prefix(12)).uppercased() : nil, on: connection)
            } else {
                let fallback = engine.catalog.policy.resolutions.exchange.outOfStock
                try await engine.store.resolutions.setFallback(id, line: item.line, fallback: fallback.rawValue, on: connection)
                fellBack.append("\(item.line):\(sku):\(fallback.rawValue)")
            }
        }
        if !fellBack.isEmpty {
            let payload = OutboxPayload(
                orderRef: record.orderRef, event: "exchange_unavailable", state: record.state,
                statusToken: record.statusToken,
                data: ["lines": .array(fellBack.map(JSONValue.string))],
                refundMinor: try await engine.store.refunds.refundedMinor(of: id, on: connection), currency: record.currency)
            try await engine.store.outbox.enqueueNotification(
                id, seq: seq, template: EngineTemplate.exchangeUnavailable, locale: record.locale,
                payloadJSON: payload.jsonText, on: connection)
        }
    }

    /// Settles what is due now and writes it, itemised: the refund row (money back, with the settlement as its
    /// breakdown), store credit and its bonus in the customer's ledger, charges for upsells, how each exchange's
    /// difference was settled, the quantities settled, and reviews for what the customer owes back.
    ///
    /// `early` releases money before inspection (the return's `release_on`): the units expected then (all of them at
    /// the first scan or delivery, those received at receipt) are paid as if graded A; exchanges are not settled early. At
    /// inspection the units judged are compared with what was released, and a line released too high opens a review.
    func settle(_ record: ReturnRecord, seq: Int, early: Moment? = nil, on connection: DatabaseConnection) async throws
        -> IssuedRefund
    {
        let id = record.id
        let policy = engine.catalog.policy
        let currency = try Currency(code: record.currency)
        if early == nil { try await placeExchanges(for: record, seq: seq, on: connection) }
        let definition = try await engine.definition(of: record, on: connection)
        // Workflows that never record a receipt (keep-it) settle what was ordered.
        let requiresReceipt = definition.transitions.contains { $0.actions.contains(.recordReceipt) }
        let items = try await engine.store.items.itemStates(of: id, on: connection)
        let lines: [RefundLine] = items.compactMap { item -> RefundLine? in
            guard let early else { return RefundLine(item) }
            guard item.settledAs != Resolution.exchange.rawValue, item.grade == nil else { return nil }
            // Before receipt the units expected are all of them; at receipt, those that arrived.
            let units = early == .receipt ? item.received : item.quantity
            return RefundLine(
                line: item.line, unitPriceMinor: item.unitPriceMinor, quantity: item.quantity, received: units,
                alreadyRefunded: item.refunded, grade: .a, reason: item.reason, graded: units, writtenOff: item.writtenOff)
        }
        let before = try await engine.store.resolutions.settledBefore(id, on: connection)
        let breakdown = policy.refund(
            for: lines, currency: currency,
            labelAlreadyCharged: try await engine.store.items.labelCharged(id, on: connection),
            requiresReceipt: requiresReceipt || early != nil)
        let exchanges = Dictionary(
            uniqueKeysWithValues: try await engine.store.resolutions.exchangeOrders(of: id, on: connection).map { ($0.line, $0) })
        // An instant exchange the customer already paid for (they shipped too late) is a purchase: the units
        // returned are refunded.
        let paidFor = Set(
            try await engine.store.resolutions.charges(of: id, on: connection).filter {
                ["charged", "capturing"].contains($0.status) && $0.kind == .instant
            }.map(\.line))
        var resolved: [Int: SettlementLine] = [:]
        for item in items {
            let resolution = paidFor.contains(item.line) ? .refund : Resolution(rawValue: item.settledAs) ?? .refund
            resolved[item.line] = SettlementLine(
                line: item.line, resolution: resolution, replacementUnitMinor: exchanges[item.line]?.priceMinor)
        }
        let settlement = policy.settle(breakdown, lines: resolved, bonusGiven: before.bonus)
        if early == nil {
            try await openReviews(
                for: record, items: items, exchanges: exchanges, requiresReceipt: requiresReceipt, seq: seq,
                on: connection)
        }
        guard !settlement.isEmpty,
            try await engine.store.resolutions.insertSettlement(id, seq: seq, settlement, on: connection)
        else {
            // Money released before inspection, or exchanges settled earlier: the return is settled, not empty.
            let settledEarlier = try await !engine.store.resolutions.settlements(of: id, on: connection).isEmpty
            return settledEarlier ? .settled : .nothingDue
        }
        let json = try JSONCoding.encode(settlement)
        if settlement.refundMinor > 0 {
            _ = try await engine.store.refunds.insertRefund(
                id, idempotencyKey: IdempotencyKey.refund(returnID: id, seq: seq), amountMinor: settlement.refundMinor,
                currency: record.currency, seq: seq, breakdownJSON: json, on: connection)
        }
        let customer = try await engine.store.resolutions.creditCustomer(of: id, on: connection)
        let expiry = policy.resolutions.storeCredit.expiresAfterDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
        // The ledger issues the gift card's code itself; a provider answers with its own.
        let cardProvider = engine.webhooks.provider(for: .giftCards)
        let code = cardProvider == "ledger" ? "GC-" + String(sha256Hex("credit:\(id):\(seq)").prefix(16)).uppercased() : nil
        for (kind, amount) in [("credit", settlement.creditMinor), ("bonus", settlement.bonusMinor)] where amount > 0 {
            _ = try await engine.store.credits.append(
                NewCreditEntry(
                    customer: customer, currency: record.currency, kind: kind, amountMinor: amount, returnID: id,
                    idempotencyKey: "\(kind):\(id.uuidString.lowercased()):\(seq)", expiresAt: expiry, code: code,
                    actor: "engine", note: kind == "bonus" ? "store credit bonus" : "return of order \(record.orderRef)"),
                on: connection)
        }
        let (card, overflow) = settlement.creditMinor.addingReportingOverflow(settlement.bonusMinor)
        if card > 0, !overflow {
            try await engine.store.resolutions.insertGiftCard(
                id, seq: seq, customer: customer, currency: record.currency, amountMinor: card, expiresAt: expiry,
                provider: cardProvider, code: code, on: connection)
        }
        for line in settlement.lines {
            if line.difference == .charged, let amount = line.differenceMinor {
                try await engine.store.resolutions.insertCharge(
                    id, line: line.line, key: "charge:\(id.uuidString.lowercased()):\(seq):\(line.line)",
                    amountMinor: amount, currency: record.currency, provider: engine.webhooks.provider(for: .charges),
                    seq: seq, on: connection)
            }
            if let difference = line.difference {
                try await engine.store.resolutions.settleExchange(
                    id, line: line.line, differenceMinor: line.differenceMinor, settlement: difference.rawValue, seq: seq,
                    on: connection)
            }
            try await engine.store.items.addRefunded(id, line: line.line, quantity: line.quantity, on: connection)
        }
        return settlement.refundMinor > 0 ? .issued : .settled
    }

    /// Reviews at inspection: an exchange shipped for units judged unacceptable (wrong item, empty box), and money
    /// released before inspection for units then judged lower. The amount is what the customer owes back.
    private func openReviews(
        for record: ReturnRecord, items: [ItemState], exchanges: [Int: ExchangeOrderRow], requiresReceipt: Bool,
        seq: Int, on connection: DatabaseConnection
    ) async throws {
        let id = record.id
        let policy = engine.catalog.policy
        let currency = try Currency(code: record.currency)
        let released = try await engine.store.resolutions.settlements(of: id, on: connection)
        // What went out before this step (refund and credit, the bonus aside) bounds what can be owed back of it.
        var returnable = released.reduce(Int64(0)) { $0 + $1.settlement.refundMinor + $1.settlement.creditMinor }
        for item in items where item.grade != nil {
            if let exchange = exchanges[item.line], item.writtenOff > 0 {
                let (owed, overflow) = exchange.priceMinor.multipliedReportingOverflow(by: Int64(item.writtenOff))
                try await engine.store.resolutions.openReview(
                    id, line: item.line, kind: "exchange_not_acceptable", amountOwedMinor: overflow ? .max : owed,
                    currency: record.currency, seq: seq, on: connection)
            }
            // What was paid for this line before it was judged, against what its judged units are worth.
            let paid = released.flatMap(\.settlement.lines).filter { $0.line == item.line && $0.resolution != .exchange }
                .reduce(Int64(0)) { $0 + $1.netMinor }
            guard paid > 0 else { continue }
            var judged = RefundLine(item)
            judged.alreadyRefunded = 0
            let due = policy.refund(
                for: [judged], currency: currency, labelAlreadyCharged: true, requiresReceipt: requiresReceipt
            ).netMinor
            let owed = min(paid - due, returnable)
            if owed > 0 {
                returnable -= owed
                try await engine.store.resolutions.openReview(
                    id, line: item.line, kind: "released_refund_too_high", amountOwedMinor: owed,
                    currency: record.currency, seq: seq, on: connection)
            }
        }
    }
}

extension RefundLine {
    /// A return line as the refund sees it.
    init(_ item: ItemState) {
        self.init(
            line: item.line, unitPriceMinor: item.unitPriceMinor, quantity: item.quantity, received: item.received,
            alreadyRefunded: item.refunded, grade: item.grade.flatMap(Grade.init), reason: item.reason,
            graded: item.graded, writtenOff: item.writtenOff)
    }
}
