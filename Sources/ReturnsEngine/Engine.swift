import Foundation
import Logging
import ReturnsCore
import ReturnsStore
import Synchronization

/// The engine's shared core: the database, the workflow catalog and the cache of pinned definitions. Each use case
/// (`transitions`, `customers`, `partnerReports`, `refunds`, ...) is a small value over this core; they share
/// nothing else, and every one of them writes through `transaction`.
public final class Engine: Sendable {
    public let database: Database
    public let catalog: WorkflowCatalog
    /// Transitions committed by this process, for metrics.
    public let transitionCounts = TransitionCounts()
    let store: Repositories
    private let definitions = Mutex<[String: WorkflowDefinition]>([:])
    let standings = PartnerStandingsCache()
    /// Commands on one return wait for their turn here, not each on a pooled connection.
    let turns = ReturnTurns()
    /// The limit on failed order lookups.
    public let lookupLimits: LookupLimits
    /// Where an order missing from the local table is looked up.
    public let orderSource: any OrderSource
    /// Where a catalog variant missing from the local table is looked up.
    public let catalogSource: any CatalogSource
    /// The shop's providers for replacement orders, charges and gift cards; each one unset: the ledger records.
    public let webhooks: ProviderWebhooks

    public init(
        database: Database, catalog: WorkflowCatalog, lookupLimits: LookupLimits = LookupLimits(),
        orderSource: any OrderSource = LocalOrderSource(), catalogSource: any CatalogSource = LocalCatalogSource(),
        webhooks: ProviderWebhooks = ProviderWebhooks()
    ) {
        self.webhooks = webhooks
        self.catalogSource = catalogSource
        self.database = database
        self.catalog = catalog
        self.lookupLimits = lookupLimits
        self.orderSource = orderSource
        self.store = Repositories(logger: database.logger)
    }

    var logger: Logger { database.logger }

    // MARK: - Use cases

    /// Creating returns and applying events to them.
    public var transitions: Transitions { Transitions(engine: self) }
    /// Reading returns for staff: one return's whole story, lists and counts.
    public var lookup: ReturnLookup { ReturnLookup(engine: self) }
    /// What customers do with their status token: read the status, cancel.
    public var customers: CustomerReturns { CustomerReturns(engine: self) }
    /// What the customer's returns portal reads: the proven order, its lines, exchange options, the estimate.
    public var portal: CustomerPortal { CustomerPortal(engine: self) }
    /// Staff accounts and sessions of the console.
    public var staff: StaffAccounts { StaffAccounts(engine: self) }
    /// What staff see and do in the console, scoped by role.
    public var desk: StaffDesk { StaffDesk(engine: self) }
    /// What logistics partners report: scans, receipts, inspections; and their queue.
    public var partnerReports: PartnerReports { PartnerReports(engine: self) }
    /// Partners and the API keys of partners and finance.
    public var accessKeys: AccessKeys { AccessKeys(engine: self) }
    /// Paying refunds through a provider, and finance's view and retries of them.
    public var refunds: Refunds { Refunds(engine: self) }
    /// Firing due timers.
    public var timers: Timers { Timers(engine: self) }
    /// The notification outbox: figures, listing, reviving, and the dispatcher.
    public var outbox: OutboxAdministration { OutboxAdministration(engine: self) }
    /// Stock movements of returned items going back to stock.
    public var inventory: Inventory { Inventory(engine: self) }
    /// Orders of record, written by the shop; returns are made from them.
    public var orders: Orders { Orders(engine: self) }
    /// Pruning settled work, partitions, and database figures.
    public var maintenance: Maintenance { Maintenance(engine: self) }
    /// The exchangeable catalog, written by the shop; exchanges hold its stock.
    public var exchangeCatalog: ExchangeCatalog { ExchangeCatalog(engine: self) }
    /// What resolutions send the shop's providers: replacement orders, charges, gift cards.
    public var providerRequests: ProviderRequests { ProviderRequests(engine: self) }
    /// Customers' store credit: balances, the ledger, operators' adjustments, expiry.
    public var credits: StoreCredits { StoreCredits(engine: self) }

    // MARK: - Workflows

    /// Stores each workflow file's version; refuses a file whose content changed under an already-deployed version.
    @discardableResult
    public func deployWorkflows() async throws -> [WorkflowFile] {
        for file in catalog.files {
            let definition = file.definition
            let stored = try await database.withConnection { [self] connection in
                try await store.workflows.deploy(
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
    func definition(name: String, version: Int, on connection: DatabaseConnection) async throws -> WorkflowDefinition
    {
        let key = "\(name)@\(version)"
        if let cached = definitions.withLock({ $0[key] }) { return cached }
        guard let source = try await store.workflows.source(name: name, version: version, on: connection),
            let definition = WorkflowLoader.load(yaml: source, file: key).0
        else {
            throw StoreError.workflowNotDeployed(name: name, version: version)
        }
        definitions.withLock { $0[key] = definition }
        return definition
    }

    func definition(of record: ReturnRecord, on connection: DatabaseConnection) async throws -> WorkflowDefinition {
        try await definition(name: record.workflowName, version: record.workflowVersion, on: connection)
    }

    // MARK: - Transactions

    /// Every write of the engine runs here: one transaction, whose transitions count for metrics once it commits.
    /// Inside `allOrNothing` it is a savepoint of that one transaction instead. `onItsEventLoop` is for the
    /// transitions' own transactions, short work of statements and small decisions (never a slow hash or a file; the
    /// one parse, of a pinned workflow version not cached yet, is once per version): it runs where its connection's
    /// answers arrive, which took `bench transitions` from 886-972 to 1,091-1,123 transitions/s (release, 8
    /// workers, idle machine, alternating runs; Benchmarks/README.md).
    func transaction<T: Sendable>(
        onItsEventLoop: Bool = false, _ body: @escaping @Sendable (DatabaseConnection) async throws -> T
    ) async throws -> T {
        if let outer = Self.outer, outer.engine == ObjectIdentifier(self) {
            return try await database.savepoint(on: outer.connection, body)
        }
        let pending = TransitionCounts.Pending()
        let result = try await TransitionCounts.$pending.withValue(pending) {
            try await database.transaction(onItsEventLoop: onItsEventLoop, body)
        }
        transitionCounts.add(pending.keys.withLock { $0 })
        return result
    }

    /// The transaction `allOrNothing` runs its commands in, for the task that runs them.
    @TaskLocal static var outer: (engine: ObjectIdentifier, connection: DatabaseConnection)?

    /// Runs `body`, whose commands (any use case's) all share one transaction, each step under a savepoint: a step
    /// refused is undone alone, so `body` can go on checking the rest, and nothing commits unless `body` returns and
    /// `commit` is true. What a batch (a manifest import) uses to apply all of a file or none of it: the engine
    /// itself judges every step, against the state the earlier steps left. `body` must run its commands one after
    /// another, on this task: they share one connection.
    public func allOrNothing<T: Sendable>(
        commit: Bool, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let engine = ObjectIdentifier(self)
        do {
            return try await transaction { connection in
                let value = try await Self.$outer.withValue((engine, connection)) { try await body() }
                guard commit else { throw RolledBack(value: value) }
                return value
            }
        } catch let rolledBack as RolledBack<T> {
            return rolledBack.value
        }
    }

    private struct RolledBack<T: Sendable>: Error {
        let value: T
    }

    /// Reads on one pooled connection, outside a transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) async throws -> T) async throws -> T {
        try await database.withConnection(body)
    }
}

/// Every partner's standing, kept for a minute: routing reads it on each new return, and a scorecard that is a
/// minute old chooses as well as a fresh one.
final class PartnerStandingsCache: Sendable {
    private let cached = Mutex<(at: ContinuousClock.Instant, standings: [PartnerStanding])?>(nil)

    func standings(_ load: () async throws -> [PartnerStanding]) async throws -> [PartnerStanding] {
        let now = ContinuousClock.now
        if let cached = cached.withLock({ $0 }), now - cached.at < .seconds(60) { return cached.standings }
        let standings = try await load()
        cached.withLock { $0 = (now, standings) }
        return standings
    }

    /// Forgets the standings, so the next return routes with fresh ones (a partner was just added).
    func reset() { cached.withLock { $0 = nil } }
}

/// The repositories the use cases compose into one transaction; each holds the SQL of one part of the schema.
struct Repositories: Sendable {
    let returns: ReturnRepository
    let items: ItemRepository
    let timers: TimerRepository
    let keys: IdempotencyRepository
    let outbox: OutboxRepository
    let refunds: RefundRepository
    let partners: PartnerRepository
    let workflows: WorkflowRepository
    let orders: OrderRepository
    let catalog: CatalogRepository
    let credits: CreditRepository
    let resolutions: ResolutionRepository
    let providerRequests: ProviderRequestRepository
    let feedback: FeedbackRepository
    let staff: StaffRepository

    init(logger: Logger) {
        catalog = CatalogRepository(logger: logger)
        credits = CreditRepository(logger: logger)
        resolutions = ResolutionRepository(logger: logger)
        providerRequests = ProviderRequestRepository(logger: logger)
        feedback = FeedbackRepository(logger: logger)
        staff = StaffRepository(logger: logger)
        returns = ReturnRepository(logger: logger)
        items = ItemRepository(logger: logger)
        timers = TimerRepository(logger: logger)
        keys = IdempotencyRepository(logger: logger)
        outbox = OutboxRepository(logger: logger)
        refunds = RefundRepository(logger: logger)
        partners = PartnerRepository(logger: logger)
        workflows = WorkflowRepository(logger: logger)
        orders = OrderRepository(logger: logger)
    }
}
