import Foundation
import ReturnsStore

/// Reading returns for staff and partners: one return's whole story, lists and counts. Reads only.
public struct ReturnLookup: Sendable {
    let engine: Engine

    /// Everything known about the return `id`: record, items, history, timers, refunds.
    public func details(of id: UUID) async throws -> ReturnDetails {
        try await engine.read { [engine] connection in
            let returns = engine.returns
            guard let record = try await returns.findReturn(id, on: connection) else {
                throw EngineError.returnNotFound(id)
            }
            let definition = try await engine.definition(of: record, on: connection)
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

    /// The most recently changed returns, optionally in one state.
    public func list(state: String? = nil, limit: Int = 50) async throws -> [ReturnRecord] {
        try await engine.read { [engine] connection in
            try await engine.returns.listReturns(state: state, limit: limit, on: connection)
        }
    }

    /// Overdue timers and pending notifications.
    public func pendingWork() async throws -> PendingWork {
        try await engine.read { [engine] connection in try await engine.returns.pendingWork(on: connection) }
    }

    /// How many returns each workflow has in each state.
    public func countByState() async throws -> [(workflow: String, state: String, count: Int)] {
        try await engine.read { [engine] connection in try await engine.returns.countByState(on: connection) }
    }
}
