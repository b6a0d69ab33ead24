import Foundation
import ReturnsCore
import ReturnsStore

/// The shop's exchangeable variants: written by the shop (one, or a file of them), read by exchanges.
public struct ExchangeCatalog: Sendable {
    let engine: Engine

    var catalog: CatalogRepository { engine.store.catalog }

    /// Inserts or replaces `variant`; the same variant again changes nothing.
    public func put(_ variant: CatalogVariant) async throws -> OrderWrite {
        try await importVariants([variant], dryRun: false)[0]
    }

    /// Writes every variant in one transaction: all, or none when one is refused (stock below what exchanges
    /// hold). With `dryRun` the transaction is rolled back after the last one.
    public func importVariants(_ batch: [CatalogVariant], dryRun: Bool) async throws -> [OrderWrite] {
        struct RolledBack: Error { var writes: [OrderWrite] }
        do {
            return try await engine.transaction { [self] connection in
                var writes: [OrderWrite] = []
                for variant in batch {
                    do { writes.append(try await catalog.upsert(variant, on: connection)) } catch let refusal as CatalogRefusal {
                        throw EngineError.notAvailable(refusal.description)
                    }
                }
                if dryRun { throw RolledBack(writes: writes) }
                return writes
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.writes
        }
    }

    public func find(sku: String) async throws -> StoredVariant? {
        try await engine.read { [self] connection in try await catalog.find(sku: sku, on: connection) }
    }

    /// The variant `sku` as stored; when the local table has none, as the shop's catalog source has it (stored
    /// first, so the next lookup is local). A source that fails or answers nonsense stores nothing.
    public func findOrFetch(sku: String) async throws -> StoredVariant? {
        if let stored = try await find(sku: sku) { return stored }
        let fetched: CatalogVariant?
        do { fetched = try await engine.catalogSource.variant(sku: sku) } catch {
            throw EngineError.orderSourceFailed(error.description, timedOut: error.timedOut)
        }
        guard let fetched else { return nil }
        _ = try await put(fetched)
        return try await find(sku: sku)
    }
}
