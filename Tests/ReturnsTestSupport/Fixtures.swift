import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore
import Synchronization

extension Engine {
    /// A return in `workflow` with one item worth 89.90 EUR and one worth 2 x 9.95 EUR.
    func makeReturn(workflow: String = "standard", key: String? = nil) async throws -> UUID {
        let request = NewReturn(
            workflow: workflow, orderRef: "ORD-\(UUID().uuidString.prefix(6))", customerEmail: "ana@example.com",
            locale: "de", items: [try ReturnItem.parse("SHOE-42:1:89.90:EUR"), try ReturnItem.parse("SOCK-3P:2:9.95:EUR")])
        return try await transitions.create(request, idempotencyKey: key).id
    }

    /// Applies events in order.
    func drive(_ id: UUID, _ events: [(String, [String: JSONValue])]) async throws {
        for (event, data) in events {
            _ = try await transitions.apply(event, to: id, actor: "test", data: data)
        }
    }

    /// Rows of a query as tuples, for asserting what is stored.
    func rows<each T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as _: (repeat each T).Type) async throws
        -> [(repeat each T)]
    {
        var result: [(repeat each T)] = []
        for try await row in try await database.client.query(query).decode((repeat each T).self) {
            result.append(row)
        }
        return result
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        try await rows(query, as: (Int.self)).first ?? -1
    }
}

extension Engine {
    /// Holds the row lock of return `id` from a session of its own, as another process would, until `end()`;
    /// returns once the lock is held.
    func holdRowLock(of id: UUID) async throws -> RowLock {
        let (locked, locking) = AsyncStream.makeStream(of: Void.self)
        let release = Mutex(false)
        let task = Task { [database] in
            defer { locking.finish() }
            try await database.client.withConnection { connection in
                let logger = TestDatabase.logger
                try await connection.query("BEGIN", logger: logger)
                try await connection.query("SELECT id FROM returns WHERE id = \(id) FOR UPDATE", logger: logger)
                locking.yield()
                while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
                try await connection.query("COMMIT", logger: logger)
            }
        }
        var iterator = locked.makeAsyncIterator()
        await iterator.next()
        return RowLock(release: { release.withLock { $0 = true } }, task: task)
    }

    /// How many other sessions of this database wait for a lock, polled every 25 ms until there are `count` (or
    /// 30 s have passed): the number seen last.
    func sessionsWaitingForLocks(atLeast count: Int) async throws -> Int {
        var waiting = 0
        for _ in 0..<1200 where waiting < count {
            try await Task.sleep(for: .milliseconds(25))
            waiting = try await self.count(
                """
                SELECT count(*)::int FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()
                """)
        }
        return waiting
    }
}

/// A return's row lock held by `Engine.holdRowLock`.
struct RowLock {
    let release: @Sendable () -> Void
    let task: Task<Void, any Error>

    /// Lets the lock go and waits for its session's commit.
    func end() async throws {
        release()
        try await task.value
    }
}

let tracking: [String: JSONValue] = ["tracking_number": .string("1Z999")]
let untilReceived: [(String, [String: JSONValue])] = [("issue_label", [:]), ("ship", tracking), ("receive", [:])]

extension Engine {
    /// Stores an order of record `ref` for `email`, ordered two days ago; each line as SKU:QTY:PRICE[:CATEGORY[:PRODUCT]],
    /// its line id the position from 1, all in `currency`.
    @discardableResult
    func makeOrder(
        _ ref: String, email: String? = nil, currency: String = "EUR", region: String? = "EU", postalCode: String? = nil,
        customerID: String? = nil,
        lines: [String] = ["SHOE-42:1:89.90", "SOCK-3P:2:9.95"], finalSale: Set<String> = [],
        orderedAt: Date = Date().addingTimeInterval(-2 * 86_400), deliveredAt: Date? = nil
    ) async throws -> Order {
        let money = try Currency(code: currency)
        let order = Order(
            ref: ref, customerEmail: email ?? "\(ref.lowercased())@example.com", postalCode: postalCode,
            customerID: customerID,
            orderedAt: orderedAt, deliveredAt: deliveredAt, currency: money, region: region,
            lines: try lines.enumerated().map { index, text in
                let parts = text.split(separator: ":").map(String.init)
                let id = "\(index + 1)"
                return OrderLine(
                    lineID: id, sku: parts[0], productID: parts.count > 4 ? parts[4] : nil, quantity: Int(parts[1])!,
                    unitPriceMinor: try Money.parse(parts[2], currency: money).minorUnits,
                    category: parts.count > 3 ? parts[3] : ReturnItem.defaultCategory, finalSale: finalSale.contains(id))
            })
        _ = try await orders.put(order)
        return order
    }
}
