import Foundation
import Hummingbird
import ReturnsHTTP
@testable import ReturnsTestSupport
import Testing
import Yams

@Suite("OpenAPI document")
struct OpenAPIContractTests {
    /// (method, path) of every operation in the document.
    static func documented() throws -> Set<String> {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.text) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        var operations: Set<String> = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    /// (method, path) of every route the controllers register, read from their source.
    static func registered() throws -> Set<String> {
        let folder = TestDatabase.packageRoot.appendingPathComponent("Sources/ReturnsHTTP")
        let pattern = try Regex(#"router\.(get|post|put|patch|delete)\("([^"]+)""#)
        var routes: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for match in text.matches(of: pattern) {
                let method = String(match.output[1].substring ?? "").uppercased()
                routes.insert("\(method) \(match.output[2].substring ?? "")")
            }
        }
        return routes
    }

    @Test("every route is documented and every documented operation is a route")
    func routesMatchDocument() throws {
        let documented = try Self.documented()
        let registered = try Self.registered()
        #expect(registered.count >= 17)
        #expect(registered.subtracting(documented).isEmpty, "routes missing from openapi.yaml")
        #expect(documented.subtracting(registered).isEmpty, "documented operations without a route")
    }

    @Test("the service serves the document it is built with")
    func served() async throws {
        try await API.withRouter { api in
            let reply = try await api.send(.get, "/openapi.yaml")
            #expect(reply.status == .ok)
            #expect(reply.text == OpenAPIDocument.text)
            #expect(reply.text.contains("/v1/partner/returns/{id}/inspection"))
        }
    }

    @Test("readiness reports the database and migrations; a known path with another method is 405")
    func health() async throws {
        try await API.withRouter { api in
            let ready = try await api.send(.get, "/health/ready")
            #expect(ready.status == .ok)
            #expect(ready.json["migrations"] == .string("current"))
            #expect(try await api.send(.get, "/health/live").status == .ok)
            let wrongMethod = try await api.send(.delete, "/v1/returns")
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "POST")
            #expect(try await api.send(.put, "/v1/status/some-token").headers[.allow] == "GET")
            let unknown = try await api.send(.get, "/v2/nothing")
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] == "application/problem+json")
        }
    }
}
