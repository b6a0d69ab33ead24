import Foundation
import ReturnsCore
import ReturnsStore

/// What the customer's returns portal reads before a return is made: the order behind a number and its proof, each
/// line with what may be returned of it and how, and the estimate of a return before it is confirmed. Making the
/// return is `Transitions.create(from:)`, which judges everything again: what is shown here is advice.
public struct CustomerPortal: Sendable {
    let engine: Engine

    /// An order as the portal shows it.
    public struct OrderView: Sendable, Hashable {
        public var ref: String
        public var orderedAt: Date
        public var currency: Currency
        public var lines: [LineView]
    }

    /// One order line: how many units can still be returned, why none can, and the variants it may be exchanged for.
    public struct LineView: Sendable, Hashable {
        public var line: OrderLine
        public var returnable: Int
        public var refusal: Refusal?
        public var exchanges: [ExchangeOption]
    }

    /// Why a line cannot be returned, in words the portal translates.
    public enum Refusal: Sendable, Hashable {
        case finalSale
        case category
        case blocked
        case windowEnded(Date)
        case alreadyReturned
    }

    /// A variant a line may be exchanged for, with the difference a unit comes to under the policy's price rule.
    public struct ExchangeOption: Sendable, Hashable {
        public var variant: CatalogVariant
        /// Replacement less the unit paid; zero when the price rule moves no money.
        public var differenceMinor: Int64
        public var difference: Settlement.Difference
    }

    /// The order `ref` when `proof` proves it is the caller's, counted against the limits on failed lookups like a
    /// return request (`orderNotFound`, `tooManyLookups`).
    public func order(ref: String, proof: ReturnFromOrder.Proof, clientAddress: String?) async throws -> OrderView {
        let ref = ref.trimmingCharacters(in: .whitespaces)
        guard !ref.isEmpty, ref.count <= 100 else {
            throw EngineError.invalidInput(field: "order_ref", reason: "give the order reference (1 to 100 characters)")
        }
        let stored = try await engine.transitions.provenOrder(
            ref: ref, proof: ReturnFromOrder(orderRef: ref, proof: proof, lines: []), clientAddress: clientAddress)
        let order = stored.order
        let policy = engine.catalog.policy
        let now = Date()
        let blocked = Set(
            policy.blocks(email: order.customerEmail, orderRef: order.ref, skus: order.lines.map(\.sku)).map(\.field))
        let terms = policy.resolutions
        var lines: [LineView] = []
        for line in order.lines {
            let available = max(stored.available(line.lineID), 0)
            let windowEnds = order.windowStart.addingTimeInterval(Double(policy.window(for: line.category) + 1) * 86_400)
            let refusal: Refusal? =
                if blocked.contains("order \(order.ref)") || blocked.contains("item \(line.sku)") { .blocked }
                else if policy.nonReturnable.contains(line.category) { .category }
                else if line.finalSale { .finalSale }
                else if now >= windowEnds { .windowEnded(windowEnds.addingTimeInterval(-86_400)) }
                else if available == 0 { .alreadyReturned }
                else { nil }
            var exchanges: [ExchangeOption] = []
            if refusal == nil, terms.offered.contains(.exchange) {
                exchanges = try await exchangeOptions(for: line, currency: order.currency, terms: terms.exchange)
            }
            lines.append(LineView(line: line, returnable: refusal == nil ? available : 0, refusal: refusal, exchanges: exchanges))
        }
        return OrderView(ref: order.ref, orderedAt: order.orderedAt, currency: order.currency, lines: lines)
    }

    /// What `lines` of `order` come to if the units arrive unused: refund, credit with its bonus, charges, each fee.
    /// Lines the order does not have, and exchanges for a variant it may not be exchanged for, are left out.
    public func estimate(_ lines: [ReturnFromOrder.Line], of order: OrderView) -> Settlement {
        let estimated = lines.compactMap { wanted -> EstimatedLine? in
            guard let view = order.lines.first(where: { $0.line.lineID == wanted.orderLine }) else { return nil }
            var line = EstimatedLine(
                unitPriceMinor: view.line.unitPriceMinor, quantity: wanted.quantity, reason: wanted.reason,
                resolution: wanted.resolution)
            if wanted.resolution == .exchange {
                guard let option = view.exchanges.first(where: { $0.variant.sku == wanted.exchangeSKU }) else { return nil }
                line.replacementUnitMinor = option.variant.priceMinor
            }
            return line
        }
        return engine.catalog.policy.estimate(estimated, currency: order.currency)
    }

    func exchangeOptions(for line: OrderLine, currency: Currency, terms: ExchangeTerms) async throws -> [ExchangeOption] {
        if terms.match == .sameProduct, line.productID == nil { return [] }
        let candidates = try await engine.read { [engine] connection in
            try await engine.store.catalog.inStock(
                productID: terms.match == .sameProduct ? line.productID : nil, currency: currency.code, excluding: line.sku,
                limit: 20, on: connection)
        }
        return candidates.compactMap { stored in
            let variant = stored.variant
            guard
                terms.refusal(
                    of: variant, for: line.productID, sku: line.sku, paidUnitMinor: line.unitPriceMinor, currency: currency)
                    == nil
            else { return nil }
            let difference = terms.price == .settleDifference ? variant.priceMinor - line.unitPriceMinor : 0
            return ExchangeOption(
                variant: variant, differenceMinor: difference,
                difference: terms.settlement(of: difference, currency: currency.code))
        }
    }
}
