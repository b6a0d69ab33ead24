import Foundation
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import ReturnsEngine
import ReturnsHTTP
import ReturnsStore
@testable import ReturnsTestSupport
import Testing

/// A router on a database of its own, with a client that speaks JSON.
struct API {
    let client: any TestClientProtocol
    let engine: Engine

    static func withRouter<T: Sendable>(_ body: @Sendable (API) async throws -> T) async throws -> T {
        try await TestDatabase.withEngine { engine in
            // The suite runs its tests at once on two cores, where opening a pooled connection can take longer than
            // the production second; DatabaseWaitTests covers the 503 itself.
            let router = buildRouter(
                engine: engine,
                configuration: ServerConfiguration(publicBaseURL: "https://returns.example", databaseWait: .seconds(10)),
                migrator: try Migrator(directory: TestDatabase.packageRoot.appendingPathComponent("Schema")))
            return try await Application(router: router).test(.router) { client in
                try await body(API(client: client, engine: engine))
            }
        }
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var text: String

        /// The body as a JSON object.
        var json: [String: JSONValue] {
            guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                Issue.record("not a JSON object: \(text)")
                return [:]
            }
            return fields
        }

        /// The problem's type, without the common prefix.
        var problem: String? {
            json["type"]?.stringValue.map { String($0.dropFirst(Problem.typeBase.count)) }
        }
    }

    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, key: String? = nil,
        idempotencyKey: String? = nil, ifMatch: String? = nil, headers extra: HTTPFields = [:], body: ByteBuffer? = nil
    ) async throws -> Reply {
        var headers = extra
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        if let key { headers[.authorization] = "Bearer \(key)" }
        if let idempotencyKey { headers[HTTPFields.Element.Name("Idempotency-Key")!] = idempotencyKey }
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: body ?? json.map { ByteBuffer(string: $0) }
        ) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// A customer's return of both lines of an order of record routed to a partner (EU, standard workflow),
    /// answered 201. Each order is a customer of its own, so no customer is flagged for returning too often.
    func requestReturn(order: String = "A-1001", locale: String = "en", region: String = "EU") async throws -> (id: UUID, token: String) {
        try await engine.makeOrder(order, region: region)
        let reply = try await send(
            .post, "/v1/returns",
            json: """
                {"order_ref": "\(order)", "email": "\(order.lowercased())@example.com", "locale": "\(locale)",
                 "lines": [{"order_line": "1", "quantity": 1, "reason": "doesnt_fit"}, {"order_line": "2", "quantity": 2}]}
                """)
        try #require(reply.status == .created, "\(reply.text)")
        let id = try #require(reply.json["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
        return (id, try #require(reply.json["status_token"]?.stringValue))
    }
}
