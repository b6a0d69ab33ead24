import Foundation
import ReturnsCore
import ReturnsStore

extension Transitions {
    /// Creates a return of lines of an order of record: items, prices, currency, category, region and the window's
    /// start come from the order, never from the caller. An unknown order and a wrong email or postal code are the
    /// same `orderNotFound`, so the answer tells nobody which orders exist; failed lookups are counted per client
    /// address and per order over a sliding window, and past the limit every lookup is `tooManyLookups`.
    public func create(from request: ReturnFromOrder, idempotencyKey: String? = nil, actor: String = "customer")
        async throws -> CreatedReturn
    {
        let ref = request.orderRef.trimmingCharacters(in: .whitespaces)
        guard !ref.isEmpty, ref.count <= 100 else {
            throw EngineError.invalidInput(field: "order_ref", reason: "give the order reference (1 to 100 characters)")
        }
        guard !request.lines.isEmpty else {
            throw EngineError.invalidInput(field: "lines", reason: "name at least one line of the order to return")
        }
        if !request.priceOverrides.isEmpty, request.proof != .staff || (request.overrideReason ?? "").isEmpty {
            throw EngineError.invalidInput(field: "override_price", reason: "only staff may set a price, and only with a reason")
        }
        if request.workflow != nil, request.proof != .staff {
            throw EngineError.invalidInput(field: "workflow", reason: "only staff may choose the workflow")
        }
        // A repeat answers as the first time, whatever changed since (the order, the policy, the lookup count): its
        // fingerprint is what the caller sent, and it is looked up before anything can refuse it.
        let key = idempotencyKey.map {
            IdempotencyKey.creating(key: $0, request: request.fingerprintParts, scope: "create:order:\(ref)")
        }
        if let key, let replay: CreatedReturn = try await engine.read({ [self] connection in
            try await idempotency.recorded(key, on: connection)
        }) {
            return replay
        }
        let stored = try await provenOrder(ref: ref, proof: request, clientAddress: request.clientAddress)
        let order = stored.order
        var items: [ReturnItem] = []
        var refusals: [PolicyRefusal] = []
        var seen: Set<String> = []
        var shortfall: EngineError?
        var resolutions: [LineResolution] = []
        for (index, wanted) in request.lines.enumerated() {
            let field = "lines[\(index)]"
            guard seen.insert(wanted.orderLine).inserted else {
                throw EngineError.invalidInput(field: field, reason: "line '\(wanted.orderLine)' is named twice; name it once with the whole quantity")
            }
            guard let line = order.line(wanted.orderLine) else {
                throw EngineError.invalidInput(
                    field: "\(field).order_line",
                    reason: "order \(ref) has no line '\(wanted.orderLine)'; its lines are \(order.lines.map(\.lineID).joined(separator: ", "))")
            }
            guard (1...10_000).contains(wanted.quantity) else {
                throw EngineError.invalidInput(field: "\(field).quantity", reason: "must be a whole number from 1 to 10000")
            }
            guard ReturnItem.isCode(wanted.reason) else {
                throw EngineError.invalidInput(field: "\(field).reason", reason: "use letters, digits, '_' or '-' only")
            }
            if line.finalSale {
                refusals.append(.init(field: "line \(line.lineID) (\(line.sku))", reason: "it was bought in a final sale"))
            }
            // Said now, thrown only if the database refuses: a repeated request (its key seen) must replay first.
            let available = stored.available(line.lineID)
            if wanted.quantity > available, shortfall == nil {
                shortfall = EngineError.alreadyReturned(
                    available == 0
                        ? "every unit of line \(line.lineID) (\(line.sku)) is already returned or in a return"
                        : "only \(available) of the \(line.quantity) units of line \(line.lineID) (\(line.sku)) can still be returned")
            }
            let price = request.priceOverrides[line.lineID] ?? line.unitPriceMinor
            resolutions.append(try await checkedResolution(wanted, of: line, currency: order.currency, field: field))
            guard price <= line.unitPriceMinor else {
                throw EngineError.invalidInput(
                    field: "override_price",
                    reason: "line \(line.lineID) was paid \(Money(minorUnits: line.unitPriceMinor, currency: order.currency)) a unit; an override may lower that, never raise it")
            }
            items.append(
                ReturnItem(
                    sku: line.sku, quantity: wanted.quantity, unitPrice: Money(minorUnits: price, currency: order.currency),
                    category: line.category, reason: wanted.reason))
        }
        guard refusals.isEmpty else { throw EngineError.refusedByPolicy(refusals) }
        if let stray = request.priceOverrides.keys.sorted().first(where: { !seen.contains($0) }) {
            throw EngineError.invalidInput(field: "override_price", reason: "line '\(stray)' is not one of the lines returned")
        }
        var new = NewReturn(
            workflow: request.workflow, orderRef: order.ref, customerEmail: order.customerEmail, locale: request.locale,
            items: items, orderedAt: order.windowStart, region: order.region, startsAtOnce: request.startsAtOnce)
        new.delivered = order.deliveredAt != nil
        new.customerID = order.customerID
        new.resolutions = resolutions
        var note: [String: JSONValue] = [:]
        if let reason = request.overrideReason, !request.priceOverrides.isEmpty {
            note["price_override"] = .object([
                "reason": .string(reason),
                "unit_prices": .object(
                    request.priceOverrides.mapValues {
                        .string(Money(minorUnits: $0, currency: order.currency).decimalString)
                    }),
            ])
        }
        if key == nil, let shortfall { throw shortfall }
        do {
            // Returns of one order are made one at a time under its row lock; in this process they wait their turn
            // in memory, so a burst for one order holds one pooled connection and never times out on that lock.
            return try await engine.turns.withTurn(on: "order:\(stored.id)") {
                try await create(
                    new, order: (stored.id, stored.contentSHA256, request.lines.map(\.orderLine)), key: key, actor: actor,
                    note: note)
            }
        } catch OrderRefusal.lineExhausted {
            throw shortfall ?? EngineError.alreadyReturned(OrderRefusal.lineExhausted.description)
        }
    }
}

extension Transitions {
    /// The order `ref` if `proof` proves it is the caller's. An unknown order and a wrong proof are the same
    /// `orderNotFound`; with a `clientAddress`, failures count against the address and the order, a lookup past
    /// either limit is `tooManyLookups`, and a success forgives the order's failures.
    func provenOrder(ref: String, proof: ReturnFromOrder, clientAddress: String?) async throws -> StoredOrder {
        let limits = engine.lookupLimits
        let window = limits.windowSeconds
        if let address = clientAddress {
            // Lookups of one order count on one row: in this process they take turns in memory, so a burst of them
            // (an attack, most often) queues here instead of in row locks, where each wait counts against the lock
            // timeout.
            try await engine.turns.withTurn(on: "lookup:\(ref)") {
                try await engine.transaction { [self] connection in
                    let byAddress = try await engine.store.orders.lookupFailures(
                        scope: "address", key: address, windowSeconds: window, counting: false, on: connection)
                    let byOrder = try await engine.store.orders.lookupFailures(
                        scope: "order", key: ref, windowSeconds: window, counting: true, on: connection)
                    // The order's count includes this lookup, which a refusal takes back with the transaction.
                    var before = byOrder
                    before.current -= 1
                    let waits = [
                        byAddress.failures >= limits.perAddress ? byAddress.secondsUntil(below: limits.perAddress) : nil,
                        byOrder.failures > limits.perOrder ? before.secondsUntil(below: limits.perOrder) : nil,
                    ].compactMap { $0 }
                    if let wait = waits.max() { throw EngineError.tooManyLookups(retryAfterSeconds: wait) }
                }
            }
        }
        guard let stored = try await engine.orders.findOrFetch(ref: ref), proof.proves(stored.order) else {
            if let address = clientAddress {
                try await engine.transaction { [self] connection in
                    _ = try await engine.store.orders.lookupFailures(
                        scope: "address", key: address, windowSeconds: window, counting: true, on: connection)
                }
            }
            throw EngineError.orderNotFound
        }
        if clientAddress != nil {
            try await engine.transaction { [self] connection in
                try await engine.store.orders.forgiveLookup(orderRef: ref, on: connection)
            }
        }
        return stored
    }

    /// The resolution `wanted` asks for line `line`, checked against what the policy offers and, for an exchange,
    /// against the catalog and the exchange rules (stock is held, or refused, when the return is written).
    func checkedResolution(_ wanted: ReturnFromOrder.Line, of line: OrderLine, currency: Currency, field: String)
        async throws -> LineResolution
    {
        let terms = engine.catalog.policy.resolutions
        guard terms.offered.contains(wanted.resolution) else {
            throw EngineError.invalidInput(
                field: "\(field).resolution",
                reason: "\(wanted.resolution.rawValue) is not offered; choose one of \(terms.offered.map(\.rawValue).joined(separator: ", "))")
        }
        guard wanted.resolution == .exchange else {
            if wanted.exchangeSKU != nil {
                throw EngineError.invalidInput(
                    field: "\(field).exchange_sku", reason: "only an exchange names a variant; set resolution to exchange or drop it")
            }
            return LineResolution(wanted.resolution)
        }
        guard let sku = wanted.exchangeSKU?.trimmingCharacters(in: .whitespaces), !sku.isEmpty else {
            throw EngineError.invalidInput(field: "\(field).exchange_sku", reason: "an exchange names the variant wanted (its SKU)")
        }
        guard let variant = try await engine.exchangeCatalog.findOrFetch(sku: sku) else {
            throw EngineError.invalidInput(field: "\(field).exchange_sku", reason: "no variant \(sku) in the exchange catalog")
        }
        if let refusal = terms.exchange.refusal(
            of: variant.variant, for: line.productID, sku: line.sku, paidUnitMinor: line.unitPriceMinor, currency: currency)
        {
            throw EngineError.invalidInput(field: "\(field).exchange_sku", reason: refusal)
        }
        return LineResolution(.exchange, exchangeSKU: sku)
    }
}

extension ReturnFromOrder {
    /// What a repeated request must match to be the same: only what the caller sent. Keys are scoped by the
    /// order, so a key reused by someone else for another order finds nothing of this one.
    var fingerprintParts: [String] {
        let proofText: String
        switch proof {
        case .email(let email): proofText = "email:" + email.lowercased()
        case .postalCode(let code): proofText = "postal:" + Proof.normalPostalCode(code)
        case .staff: proofText = "staff"
        }
        return [orderRef, proofText, locale, workflow ?? "", "\(startsAtOnce)", overrideReason ?? ""]
            + lines.map { "\($0.orderLine):\($0.quantity):\($0.reason):\($0.resolution.rawValue):\($0.exchangeSKU ?? "")" }
            + priceOverrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}
