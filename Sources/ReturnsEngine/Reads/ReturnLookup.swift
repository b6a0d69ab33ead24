import Foundation
import ReturnsStore

/// Reading returns for staff and partners: one return's whole story, lists and counts. Reads only.
public struct ReturnLookup: Sendable {
    let engine: Engine

    /// Everything known about the return `id`: record, items, history, timers, refunds.
    public func details(of id: UUID) async throws -> ReturnDetails {
        try await engine.read { [engine] connection in
            guard let record = try await engine.store.returns.findReturn(id, on: connection) else {
                throw EngineError.returnNotFound(id)
            }
            let definition = try await engine.definition(of: record, on: connection)
            return ReturnDetails(
                record: record, items: try await engine.store.items.itemStates(of: id, on: connection),
                history: try await engine.store.returns.history(of: id, on: connection),
                pendingTimers: try await engine.store.timers.pendingTimers(of: id, on: connection).map {
                    .init(name: $0.name, event: $0.event, dueAt: $0.dueAt)
                },
                refunds: try await engine.store.refunds.refunds(of: id, on: connection),
                stateDescription: definition.state(named: record.state)?.description ?? "",
                resolutions: ReturnResolutions(
                    settlements: try await engine.store.resolutions.settlements(of: id, on: connection).map(\.settlement),
                    exchanges: try await engine.store.resolutions.exchangeOrders(of: id, on: connection),
                    charges: try await engine.store.resolutions.charges(of: id, on: connection),
                    credits: try await engine.store.credits.entries(ofReturn: id, on: connection),
                    reviews: try await engine.store.resolutions.reviews(of: id, limit: 100, on: connection)))
        }
    }

    /// The most recently changed returns, optionally in one state.
    public func list(state: String? = nil, limit: Int = 50) async throws -> [ReturnRecord] {
        try await engine.read { [engine] connection in
            try await engine.store.returns.listReturns(state: state, limit: limit, on: connection)
        }
    }

    /// Overdue timers and pending notifications.
    public func pendingWork() async throws -> PendingWork {
        try await engine.read { [engine] connection in try await engine.store.returns.pendingWork(on: connection) }
    }

    /// How many returns each workflow has in each state.
    public func countByState() async throws -> [(workflow: String, state: String, count: Int)] {
        try await engine.read { [engine] connection in try await engine.store.returns.countByState(on: connection) }
    }
}
