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
/// The form token's field, as the pages name it.
enum PageSecurityField { static let name = "form_token" }

struct API {
    let client: any TestClientProtocol
    let engine: Engine

    static func withRouter<T: Sendable>(_ body: @Sendable (API) async throws -> T) async throws -> T {
        try await TestDatabase.withEngine { engine in
            // The suite runs its tests at once on two cores, where opening a pooled connection can take far longer
            // than the production second: two full runs answered a request 503 database-unavailable in the suite's
            // first minute, most likely a 10 s wait running out. DatabaseWaitTests and DatabaseGateTests cover the
            // 503 itself.
            let router = buildRouter(
                engine: engine,
                configuration: ServerConfiguration(publicBaseURL: "https://returns.example", databaseWait: .seconds(30)),
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

    /// A browser on the customer pages: it keeps the form-token cookie the first page set and posts forms with it.
    struct Browser: Sendable {
        let api: API
        /// The cookies the pages set, by name.
        var cookies: [String: String] = [:]
        var formToken: String?

        var cookie: String? { cookies.isEmpty ? nil : cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

        init(_ api: API) { self.api = api }

        /// Gets a page, taking the cookie it sets and the form token its forms carry.
        mutating func get(_ path: String, headers: HTTPFields = [:]) async throws -> Reply {
            var headers = headers
            if let cookie { headers[.cookie] = cookie }
            let reply = try await api.send(.get, path, headers: headers)
            take(reply)
            return reply
        }

        /// Posts `fields` as a browser posts a form, with the form token unless `token` is false.
        mutating func post(_ path: String, _ fields: [(String, String)], token: Bool = true) async throws -> Reply {
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            if let cookie { headers[.cookie] = cookie }
            let all = (token ? [(PageSecurityField.name, formToken ?? "")] : []) + fields
            let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            let reply = try await api.send(.post, path, headers: headers, body: ByteBuffer(string: body))
            take(reply)
            return reply
        }

        mutating func take(_ reply: Reply) {
            for set in reply.headers[values: .setCookie] {
                guard let pair = set.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<equals])
                let value = String(pair[pair.index(after: equals)...])
                if value.isEmpty || set.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
            if let match = reply.text.firstMatch(of: #/name="form_token" value="([^"]+)"/#) { formToken = String(match.1) }
        }

        static func encode(_ text: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
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
