import Foundation
import ReturnsCore
import ReturnsStore

/// Creating returns and applying events to them: load, decide with the pure state machine, commit, in one
/// transaction each, every command under its idempotency key.
public struct Transitions: Sendable {
    let engine: Engine

    var idempotency: Idempotency { Idempotency(keys: engine.store.keys) }
    var writer: DecisionWriter { DecisionWriter(engine: engine) }

    /// Creates a return from what the caller says was bought, in its workflow's initial state, pinned to the
    /// workflow's current version. For trusted callers (staff, tools); no automatic approval applies to a return
    /// without an order of record. Customers create returns from orders (`create(from:)`).
    public func create(_ request: NewReturn, idempotencyKey: String? = nil, actor: String = "customer")
        async throws -> CreatedReturn
    {
        // An order of record is returned by its lines, so its limits hold; typed items would step around them.
        if try await engine.read({ [engine] connection in
            try await engine.store.orders.exists(ref: request.orderRef, on: connection)
        }) {
            throw EngineError.invalidInput(
                field: "order",
                reason: "\(request.orderRef) is an order of record; return its lines (--line LINE:QTY) instead of typed items")
        }
        return try await create(
            request, order: nil, key: idempotencyKey.map { IdempotencyKey.creating(key: $0, request: request.fingerprintParts) },
            actor: actor)
    }

    /// Creates `request`; with `order`, its items hold units of the order's lines (`ItemRecord.orderLine`).
    /// `note` goes into the data of the history's `created` line (an operator's price override, say).
    func create(
        _ request: NewReturn, order: (id: Int64, sha: String, lines: [String])?, key: IdempotencyKey?, actor: String,
        note: [String: JSONValue] = [:]
    ) async throws -> CreatedReturn
    {
        try Self.validate(request)
        let catalog = engine.catalog
        let policy = catalog.policy
        let now = Date()
        let currency = request.items[0].unitPrice.currency
        var paid: Int64 = 0
        var items: [ItemRecord] = []
        var requested: [RequestedItem] = []
        for (index, item) in request.items.enumerated() {
            guard item.unitPrice.currency == currency else {
                throw EngineError.invalidInput(
                    field: "items",
                    reason: "all items must be in one currency (\(currency.code) and \(item.unitPrice.currency.code) given)")
            }
            let total: Money
            do { total = try item.lineTotal } catch { throw EngineError.invalidInput(field: "items", reason: error.description) }
            let (sum, overflow) = paid.addingReportingOverflow(total.minorUnits)
            guard !overflow else { throw EngineError.invalidInput(field: "items", reason: "total is too large") }
            paid = sum
            let resolution = index < request.resolutions.count ? request.resolutions[index] : LineResolution(.refund)
            items.append(
                ItemRecord(
                    line: index + 1, sku: item.sku, quantity: item.quantity, unitPriceMinor: item.unitPrice.minorUnits,
                    currency: currency.code, category: item.category, reason: item.reason,
                    orderLine: order?.lines[index], resolution: resolution.resolution.rawValue,
                    exchangeSKU: resolution.exchangeSKU))
            requested.append(RequestedItem(sku: item.sku, category: item.category, reason: item.reason, lineTotal: total))
        }
        let refusals =
            policy.blocks(email: request.customerEmail, orderRef: request.orderRef, skus: request.items.map(\.sku))
            + policy.refusals(for: requested, orderedAt: request.orderedAt ?? now, delivered: request.delivered, now: now)
        guard refusals.isEmpty else { throw EngineError.refusedByPolicy(refusals) }
        let insert = {
            try await self.insert(
                request, order: order, key: key, paid: paid, items: items, currency: currency, actor: actor, note: note)
        }
        guard let key else { return try await insert() }
        // Creations under one key wait for their turn in memory, as commands on one return do, not each on a
        // pooled connection in front of the key's advisory lock.
        return try await engine.turns.withTurn(on: "create:\(key.scope):\(key.key)", insert)
    }

    /// The transaction of a creation: the order's lock, the key, routing, the rows.
    private func insert(
        _ request: NewReturn, order: (id: Int64, sha: String, lines: [String])?, key: IdempotencyKey?, paid: Int64,
        items: [ItemRecord], currency: Currency, actor: String, note: [String: JSONValue]
    ) async throws -> CreatedReturn {
        let catalog = engine.catalog
        let policy = catalog.policy
        let now = Date()
        return try await engine.transaction(onItsEventLoop: true) { [self, paid, items] connection in
            // Returns of one order are made one at a time (so its lines are locked in one order too), and from the
            // order as it was read: a change made meanwhile sends the caller back.
            if let order, !(try await engine.store.orders.lockForReturn(order.id, sha: order.sha, on: connection)) {
                throw EngineError.orderConflict(OrderRefusal.changedMeanwhile.description)
            }
            return try await idempotency.once(key, on: connection) {
                // Routing counts the customer's recent returns, so it is decided inside the transaction.
                let routing: Routing
                let allowed = policy.allowedEmails.contains(request.customerEmail.lowercased())
                var recent = 0
                if let named = request.workflow {
                    routing = Routing(workflow: named, because: "")
                } else {
                    // This request counts too: the sixth return in 90 days is "more than 5".
                    recent =
                        allowed ? 0 : try await engine.store.returns.recentReturns(
                            customer: request.customerEmail, customerID: request.customerID, on: connection) + 1
                    routing = policy.route(
                        total: Money(minorUnits: paid, currency: currency), recentReturns: recent, ofRecord: order != nil)
                }
                guard let file = catalog.workflow(named: routing.workflow),
                    let initial = file.definition.initialState?.name
                else {
                    throw EngineError.unknownWorkflow(
                        name: routing.workflow, known: catalog.files.map(\.definition.name))
                }
                let definition = file.definition
                let partner =
                    routing.isForPartner
                    ? PartnerStanding.choose(
                        for: request.region,
                        among: try await engine.standings.standings {
                            try await engine.store.partners.standings(days: 90, on: connection)
                        })
                    : nil
                let record = ReturnRecord(
                    // The status token is the customer's only key to the return: random, not guessable.
                    id: UUID(), statusToken: RandomToken.urlSafe(), workflowName: definition.name,
                    workflowVersion: definition.version, state: initial, version: 1, orderRef: request.orderRef,
                    customerEmail: request.customerEmail, locale: request.locale, currency: currency.code,
                    paidMinor: paid, createdAt: now, updatedAt: now, partnerID: partner?.id)
                try await engine.store.returns.insertReturn(record, items: items, orderID: order?.id, on: connection)
                try await holdStock(for: record.id, items: items, on: connection)
                // Money is released early only to customers with no flag, on returns a partner inspects.
                let release = policy.resolutions.release.moment(
                    allowed: allowed, flagged: !routing.isForPartner || recent > policy.flagAfterReturns)
                if release != .inspection {
                    try await engine.store.resolutions.setReleaseMoment(record.id, release, on: connection)
                }
                try await engine.store.returns.setOrigin(
                    record.id, orderedAt: request.orderedAt ?? now, region: request.region, on: connection)
                try await engine.store.returns.appendEvent(
                    record.id, seq: 1, event: "created", from: nil, to: initial, actor: actor,
                    dataJSON: JSONValue.canonicalText(note),
                    on: connection)
                if policy.resolutions.exchange.shipOn == .request, items.contains(where: { $0.exchangeSKU != nil }) {
                    try await writer.shipInstantly(record, seq: 1, on: connection)
                }
                var state = initial
                if request.startsAtOnce,
                    let first = EngineEvent.startEvents.lazy.compactMap({
                        try? definition.decide(event: $0.rawValue, in: initial)
                    }).first
                {
                    state = try await writer.commit(first, to: record, actor: "policy", data: [:], on: connection).to
                }
                return CreatedReturn(
                    id: record.id, token: record.statusToken, state: state, workflow: definition.name,
                    workflowVersion: definition.version, routing: routing.because, partner: partner?.name,
                    replayed: false)
            }
        }
    }

    /// Holds the replacement stock of every exchange item until the policy's hold ends; a replacement out of stock
    /// refuses the whole return (nothing is written).
    private func holdStock(for id: UUID, items: [ItemRecord], on connection: DatabaseConnection) async throws {
        let days = engine.catalog.policy.resolutions.exchange.holdDays
        for item in items {
            guard let sku = item.exchangeSKU else { continue }
            do {
                try await engine.store.catalog.hold(id, line: item.line, sku: sku, quantity: item.quantity, days: days, on: connection)
            } catch let refusal as CatalogRefusal {
                throw EngineError.notAvailable(refusal.description)
            }
        }
    }

    /// Applies `event` to the return `id` in one transaction. A repeated idempotency key answers with the first
    /// result and writes nothing; the same key with another request is refused. With `partnerID`, only a return
    /// assigned to that partner is found.
    public func apply(
        _ event: String, to id: UUID, idempotencyKey: String? = nil, actor: String,
        data: [String: JSONValue] = [:], expectedVersion: Int? = nil, partnerID: Int64? = nil
    ) async throws -> TransitionResult {
        let key = idempotencyKey.map { IdempotencyKey.applying(key: $0, event: event, data: data, to: id) }
        // One command per return at a time holds a connection; the others wait their turn in memory.
        return try await engine.turns.withTurn(on: "return:\(id)") {
            try await engine.transaction(onItsEventLoop: true) { [self] connection in
                try await step(event, to: id, key: key, actor: actor, data: data, expectedVersion: expectedVersion,
                    partnerID: partnerID, check: nil, on: connection)
            }
        }
    }

    /// Applies `steps` to the return `id` one after another, in one transaction and one turn, each under its own
    /// idempotency key: the first as `apply` does (with `expectedVersion` and `check`), each later one under a
    /// savepoint, against the state the step before left. The steps stop at the first later one the workflow does
    /// not take from there. A later step refused otherwise is undone alone: the steps before it commit and its
    /// error is thrown, as when each step was a transaction of its own, so a command re-sent with the same keys
    /// replays what committed and finishes the rest. One commit instead of one per step: what a partner's
    /// inspection (inspect, grade, approve the refund) costs.
    func apply(
        steps: [(event: String, idempotencyKey: String?)], to id: UUID, actor: String, data: [String: JSONValue],
        expectedVersion: Int?, partnerID: Int64?,
        check: (@Sendable (ReturnRecord, DatabaseConnection) async throws -> Void)?
    ) async throws -> [TransitionResult] {
        let keyed = steps.map { step in
            (step.event, step.idempotencyKey.map { IdempotencyKey.applying(key: $0, event: step.event, data: data, to: id) })
        }
        guard let (firstEvent, firstKey) = keyed.first else { return [] }
        let (results, refusal) = try await engine.turns.withTurn(on: "return:\(id)") {
            try await engine.transaction(onItsEventLoop: true) { [self] connection in
                var results = [
                    try await step(firstEvent, to: id, key: firstKey, actor: actor, data: data,
                        expectedVersion: expectedVersion, partnerID: partnerID, check: check, on: connection)
                ]
                for (event, key) in keyed.dropFirst() {
                    do {
                        results.append(
                            try await engine.database.savepoint(on: connection) { [self] connection in
                                try await step(event, to: id, key: key, actor: actor, data: data,
                                    expectedVersion: nil, partnerID: partnerID, check: nil, on: connection)
                            })
                    } catch EngineError.workflow(.eventNotAllowed) {
                        break  // The workflow stops here (a specialist reviews, or the refund is decided elsewhere).
                    } catch {
                        return (results, error as (any Error)?)
                    }
                }
                return (results, nil)
            }
        }
        if let refusal { throw refusal }
        return results
    }

    /// One transition inside the transaction open on `connection`. `check` runs on the locked return once the event
    /// is known to apply, before anything is written: a command of several steps checks all of them in its first,
    /// so a report refused in a later step's terms changes nothing.
    private func step(
        _ event: String, to id: UUID, key: IdempotencyKey?, actor: String, data: [String: JSONValue],
        expectedVersion: Int?, partnerID: Int64?,
        check: (@Sendable (ReturnRecord, DatabaseConnection) async throws -> Void)?, on connection: DatabaseConnection
    ) async throws -> TransitionResult {
        // The row lock comes first: it orders concurrent commands on one return, keys included. The key is
        // read in the same round trip, as committed when the lock was granted.
        let locked: (ReturnRecord, IdempotencyRecord?)?
        if let key {
            locked = try await engine.store.returns.lockReturn(id, readingKey: key.scope, key.key, on: connection)
        } else {
            locked = try await engine.store.returns.lockReturn(id, on: connection).map { ($0, nil) }
        }
        // A partner's command on a return not assigned to it is answered as if the return did not exist.
        guard let (record, recorded) = locked, partnerID == nil || record.partnerID == partnerID else {
            throw EngineError.returnNotFound(id)
        }
        let body = {
            if let expectedVersion, expectedVersion != record.version {
                throw EngineError.versionConflict(expected: expectedVersion, actual: record.version)
            }
            let definition = try await engine.definition(of: record, on: connection)
            let decision: Decision
            do {
                decision = try definition.decide(event: event, in: record.state, data: data)
            } catch let error as WorkflowError {
                throw EngineError.workflow(error)
            }
            try await check?(record, connection)
            return try await writer.commit(decision, to: record, actor: actor, data: data, on: connection)
        }
        guard let key else { return try await body() }
        return try await idempotency.once(key, found: recorded, on: connection, body)
    }

    static func validate(_ request: NewReturn) throws {
        let order = request.orderRef.trimmingCharacters(in: .whitespaces)
        guard !order.isEmpty, order.count <= 100 else {
            throw EngineError.invalidInput(field: "order", reason: "give the order reference (1 to 100 characters)")
        }
        guard EmailAddress(request.customerEmail) != nil else {
            // Shown as JSON escapes would: a line break in the answer is as unwelcome as in a mail header.
            let shown = request.customerEmail.unicodeScalars.map { $0.value < 32 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
                .joined()
            throw EngineError.invalidInput(
                field: "customer",
                reason: "'\(shown)' is not an email address like name@example.com (letters, digits and .!#$%&'*+/=?^_`{|}~- "
                    + "before the @, a host name after it, no spaces or line breaks)")
        }
        let locale = request.locale
        let localeOK =
            locale.count == 2 && locale.allSatisfy(\.isLowercase)
            || locale.count == 5 && locale.prefix(2).allSatisfy(\.isLowercase) && Array(locale)[2] == "-"
                && locale.suffix(2).allSatisfy(\.isUppercase)
        guard localeOK else {
            throw EngineError.invalidInput(field: "locale", reason: "'\(locale)' is not a locale like en, de or pt-BR")
        }
        guard !request.items.isEmpty else {
            throw EngineError.invalidInput(field: "items", reason: "a return needs at least one item")
        }
        if let region = request.region, region.isEmpty || region.count > 32 || region.contains(where: \.isWhitespace) {
            throw EngineError.invalidInput(field: "region", reason: "'\(region)' is not a region code like EU or US-WEST")
        }
    }
}

extension NewReturn {
    /// What a repeated creation must match to be the same request.
    var fingerprintParts: [String] {
        [
            workflow ?? "", orderRef, customerEmail, locale, orderedAt.map { "\($0.timeIntervalSince1970)" } ?? "",
            region ?? "", "\(startsAtOnce)",
        ]
            + items.map {
                "\($0.sku):\($0.quantity):\($0.unitPrice.minorUnits):\($0.unitPrice.currency.code):\($0.category):\($0.reason)"
            }
    }
}

extension CreatedReturn: Replayable {
    var returnID: UUID { id }
}

extension TransitionResult: Replayable {}
