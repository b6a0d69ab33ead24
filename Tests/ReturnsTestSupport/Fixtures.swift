import Foundation
import PostgresNIO
import ReturnsCore
import ReturnsEngine
import ReturnsStore

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

let tracking: [String: JSONValue] = ["tracking_number": .string("1Z999")]
let untilReceived: [(String, [String: JSONValue])] = [("issue_label", [:]), ("ship", tracking), ("receive", [:])]
