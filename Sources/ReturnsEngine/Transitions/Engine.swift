import Foundation
import Logging
import PostgresNIO
import ReturnsCore
import ReturnsStore
import Synchronization

/// Moves returns through their workflows: load, decide with the pure state machine, commit, in one transaction.
public final class Engine: Sendable {
    public let database: Database
    public let catalog: WorkflowCatalog
    let returns: ReturnRepository
    let workflows: WorkflowRepository
    private let definitions = Mutex<[String: WorkflowDefinition]>([:])
    let standingsCache = Mutex<(at: ContinuousClock.Instant, standings: [PartnerStanding])?>(nil)
    /// Transitions committed by this process, for metrics.
    public let transitionCounts = TransitionCounts()

    public init(database: Database, catalog: WorkflowCatalog) {
        self.database = database
        self.catalog = catalog
        self.returns = ReturnRepository(logger: database.logger)
        self.workflows = WorkflowRepository(logger: database.logger)
    }

    var logger: Logger { database.logger }

    // MARK: - Workflows

    /// Stores each workflow file's version; refuses a file whose content changed under an already-deployed version.
    @discardableResult
    public func deployWorkflows() async throws -> [WorkflowFile] {
        for file in catalog.files {
            let definition = file.definition
            let stored = try await database.withConnection { [self] connection in
                try await workflows.deploy(
                    name: definition.name, version: definition.version, sha256: file.sha256, source: file.source,
                    on: connection)
            }
            guard stored == file.sha256 else {
                throw StoreError.workflowChangedWithoutNewVersion(name: definition.name, version: definition.version)
            }
            definitions.withLock { $0["\(definition.name)@\(definition.version)"] = definition }
        }
        return catalog.files
    }

    /// The definition a return is pinned to, read from the database once (on `connection`, the caller's) and then
    /// kept.
    func definition(name: String, version: Int, on connection: PostgresConnection) async throws -> WorkflowDefinition {
        let key = "\(name)@\(version)"
        if let cached = definitions.withLock({ $0[key] }) { return cached }
        guard let source = try await workflows.source(name: name, version: version, on: connection),
            let definition = WorkflowLoader.load(yaml: source, file: key).0
        else {
            throw StoreError.workflowNotDeployed(name: name, version: version)
        }
        definitions.withLock { $0[key] = definition }
        return definition
    }

    // MARK: - Transactions

    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        async throws -> T
    {
        let pending = TransitionCounts.Pending()
        let result = try await TransitionCounts.$pending.withValue(pending) {
            try await database.transaction(body)
        }
        transitionCounts.add(pending.keys.withLock { $0 })
        return result
    }

    // MARK: - Creating returns

    /// Creates a return in its workflow's initial state, pinned to the workflow's current version.
    public func createReturn(_ request: NewReturn, idempotencyKey: String? = nil, actor: String = "customer")
        async throws -> CreatedReturn
    {
        try Self.validate(request)
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
            items.append(
                ItemRecord(
                    line: index + 1, sku: item.sku, quantity: item.quantity, unitPriceMinor: item.unitPrice.minorUnits,
                    currency: currency.code, category: item.category, reason: item.reason))
            requested.append(RequestedItem(sku: item.sku, category: item.category, reason: item.reason, lineTotal: total))
        }
        let refusals = policy.refusals(for: requested, orderedAt: request.orderedAt ?? now, now: now)
        guard refusals.isEmpty else { throw EngineError.refusedByPolicy(refusals) }
        let requestHash = Self.fingerprint(
            ["create", request.workflow ?? "", request.orderRef, request.customerEmail, request.locale,
             request.orderedAt.map { "\($0.timeIntervalSince1970)" } ?? "", request.region ?? "",
             "\(request.startsAtOnce)"]
                + request.items.map {
                    "\($0.sku):\($0.quantity):\($0.unitPrice.minorUnits):\($0.unitPrice.currency.code):\($0.category):\($0.reason)"
                })
        return try await transaction { [self, paid, items] connection in
            if let idempotencyKey {
                try await returns.lockKey("create:" + idempotencyKey, on: connection)
                if let existing = try await returns.findIdempotencyKey(
                    scope: "create", key: idempotencyKey, on: connection)
                {
                    guard existing.requestHash == requestHash else {
                        throw EngineError.idempotencyKeyReused(key: idempotencyKey)
                    }
                    var replay = try Self.decode(CreatedReturn.self, from: existing.response)
                    replay.replayed = true
                    return replay
                }
            }
            // Routing counts the customer's recent returns, so it is decided inside the transaction.
            let routing: Routing
            if let named = request.workflow {
                routing = Routing(workflow: named, because: "")
            } else {
                // This request counts too: the sixth return in 90 days is "more than 5".
                let recent = try await returns.recentReturns(customer: request.customerEmail, on: connection) + 1
                routing = policy.route(total: Money(minorUnits: paid, currency: currency), recentReturns: recent)
            }
            guard let file = catalog.workflow(named: routing.workflow), let initial = file.definition.initialState?.name
            else {
                throw EngineError.unknownWorkflow(name: routing.workflow, known: catalog.files.map(\.definition.name))
            }
            let definition = file.definition
            let partner =
                routing.isForPartner
                ? PartnerStanding.choose(for: request.region, among: try await partnerStandings(on: connection)) : nil
            let record = ReturnRecord(
                id: UUID(), statusToken: Self.newStatusToken(), workflowName: definition.name,
                workflowVersion: definition.version, state: initial, version: 1, orderRef: request.orderRef,
                customerEmail: request.customerEmail, locale: request.locale, currency: currency.code, paidMinor: paid,
                createdAt: now, updatedAt: now, partnerID: partner?.id)
            try await returns.insertReturn(record, items: items, on: connection)
            try await returns.setOrigin(record.id, orderedAt: request.orderedAt ?? now, region: request.region, on: connection)
            try await returns.appendEvent(
                record.id, seq: 1, event: "created", from: nil, to: initial, actor: actor, dataJSON: "{}",
                on: connection)
            var state = initial
            if request.startsAtOnce,
                let first = Self.startEvents.lazy.compactMap({ try? definition.decide(event: $0, in: initial) }).first
            {
                state = try await commit(first, to: record, actor: "policy", data: [:], on: connection).to
            }
            let created = CreatedReturn(
                id: record.id, token: record.statusToken, state: state, workflow: definition.name,
                workflowVersion: definition.version, routing: routing.because, partner: partner?.name, replayed: false)
            if let idempotencyKey {
                try await returns.recordIdempotencyKey(
                    scope: "create", key: idempotencyKey, requestHash: requestHash, returnID: record.id,
                    responseJSON: try Self.encode(created), on: connection)
            }
            return created
        }
    }

    /// What starts a return when its request asks to start at once: the first of these its initial state takes
    /// (a shipping label for returns that ship, the refund for keep-it returns).
    static let startEvents = ["issue_label", "approve_refund"]

    static func validate(_ request: NewReturn) throws {
        let order = request.orderRef.trimmingCharacters(in: .whitespaces)
        guard !order.isEmpty, order.count <= 100 else {
            throw EngineError.invalidInput(field: "order", reason: "give the order reference (1 to 100 characters)")
        }
        let email = request.customerEmail
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !email.contains(" "), email.count <= 254
        else {
            throw EngineError.invalidInput(field: "customer", reason: "'\(email)' is not an email address")
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

    /// 32 random bytes, URL-safe: the customer's only key to the return, so it must not be guessable.
    static func newStatusToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    // MARK: - Applying events

    /// Applies `event` to the return `id` in one transaction. A repeated idempotency key answers with the first
    /// result and writes nothing; the same key with another request is refused. With `partnerID`, only a return
    /// assigned to that partner is found.
    public func apply(
        _ event: String, to id: UUID, idempotencyKey: String? = nil, actor: String,
        data: [String: JSONValue] = [:], expectedVersion: Int? = nil, partnerID: Int64? = nil
    ) async throws -> TransitionResult {
        let requestHash = Self.fingerprint([event, JSONValue.canonicalText(data)])
        return try await transaction { [self] connection in
            // The row lock comes first: it orders concurrent commands on one return, keys included.
            // A partner's command on a return not assigned to it is answered as if the return did not exist.
            guard let record = try await returns.lockReturn(id, on: connection),
                partnerID == nil || record.partnerID == partnerID
            else {
                throw EngineError.returnNotFound(id)
            }
            let scope = id.uuidString.lowercased()
            if let idempotencyKey,
                let existing = try await returns.findIdempotencyKey(scope: scope, key: idempotencyKey, on: connection)
            {
                guard existing.requestHash == requestHash else {
                    throw EngineError.idempotencyKeyReused(key: idempotencyKey)
                }
                var replay = try Self.decode(TransitionResult.self, from: existing.response)
                replay.replayed = true
                return replay
            }
            if let expectedVersion, expectedVersion != record.version {
                throw EngineError.versionConflict(expected: expectedVersion, actual: record.version)
            }
            let definition = try await definition(
                name: record.workflowName, version: record.workflowVersion, on: connection)
            let decision: Decision
            do {
                decision = try definition.decide(event: event, in: record.state, data: data)
            } catch let error as WorkflowError {
                throw EngineError.workflow(error)
            }
            let result = try await commit(decision, to: record, actor: actor, data: data, on: connection)
            if let idempotencyKey {
                try await returns.recordIdempotencyKey(
                    scope: scope, key: idempotencyKey, requestHash: requestHash, returnID: id,
                    responseJSON: try Self.encode(result), on: connection)
            }
            return result
        }
    }

    /// Writes a decision: the new state, the history line, and the actions, on the locked return.
    /// Timers are armed from `clock`, the moment the event stands for (the database clock when nil).
    func commit(
        _ decision: Decision, to record: ReturnRecord, actor: String, data: [String: JSONValue], clock: Date? = nil,
        on connection: PostgresConnection
    ) async throws -> TransitionResult {
        let id = record.id
        let seq = record.version + 1
        TransitionCounts.pending?.keys.withLock {
            $0.append(.init(workflow: record.workflowName, event: decision.event))
        }
        try await returns.updateState(id, state: decision.to, version: seq, on: connection)
        try await returns.appendEvent(
            id, seq: seq, event: decision.event, from: decision.from, to: decision.to, actor: actor,
            dataJSON: JSONValue.canonicalText(data), on: connection)
        for action in decision.actions {
            switch action {
            case .notify(let template):
                // refund_minor: what was refunded or is on its way, for templates that state the amount.
                let refunded = try await returns.refundedMinor(of: id, on: connection)
                let payload: [String: JSONValue] = [
                    "order_ref": .string(record.orderRef), "event": .string(decision.event),
                    "state": .string(decision.to), "status_token": .string(record.statusToken),
                    "data": .object(data), "refund_minor": .number(Double(refunded)),
                    "currency": .string(record.currency),
                ]
                try await returns.enqueueNotification(
                    id, seq: seq, template: template, locale: record.locale,
                    payloadJSON: JSONValue.canonicalText(payload), on: connection)
            case .startTimer(let name, let seconds, let event):
                try await returns.armTimer(
                    id, name: name, event: event, state: decision.to, seq: seq, seconds: seconds, base: clock,
                    on: connection)
            case .cancelTimer(let name):
                try await returns.cancelTimer(id, name: name, on: connection)
            case .issueRefund:
                try await issueRefund(for: record, seq: seq, on: connection)
            case .recordReceipt:
                try await recordReceipt(for: record, data: data, on: connection)
            case .recordInspection:
                try await recordInspection(for: record, seq: seq, data: data, on: connection)
            }
        }
        return TransitionResult(
            returnID: id, event: decision.event, from: decision.from, to: decision.to, seq: seq, replayed: false)
    }

    // MARK: - Reading

    public func details(of id: UUID) async throws -> ReturnDetails {
        try await database.withConnection { [self] connection in
            guard let record = try await returns.findReturn(id, on: connection) else {
                throw EngineError.returnNotFound(id)
            }
            let definition = try await definition(
                name: record.workflowName, version: record.workflowVersion, on: connection)
            return ReturnDetails(
                record: record, items: try await returns.itemStates(of: id, on: connection),
                history: try await returns.history(of: id, on: connection),
                pendingTimers: try await returns.pendingTimers(of: id, on: connection).map {
                    .init(name: $0.name, event: $0.event, dueAt: $0.dueAt)
                },
                refunds: try await returns.refunds(of: id, on: connection),
                stateDescription: definition.state(named: record.state)?.description ?? "")
        }
    }

    public func list(state: String? = nil, limit: Int = 50) async throws -> [ReturnRecord] {
        try await database.withConnection { [self] connection in
            try await returns.listReturns(state: state, limit: limit, on: connection)
        }
    }

    /// Overdue timers and pending notifications.
    public func pendingWork() async throws -> PendingWork {
        try await database.withConnection { [self] connection in try await returns.pendingWork(on: connection) }
    }

    public func countByState() async throws -> [(workflow: String, state: String, count: Int)] {
        try await database.withConnection { [self] connection in
            try await returns.countByState(on: connection)
        }
    }

    // MARK: - Encoding

    static func fingerprint(_ parts: [String]) -> String {
        sha256Hex(parts.joined(separator: "\u{1F}"))
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
