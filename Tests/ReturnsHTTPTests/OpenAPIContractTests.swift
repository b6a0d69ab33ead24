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
        for name in try FileManager.default.subpathsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift") {
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
            #expect(reply.headers[.contentType] == "application/yaml; charset=utf-8")
            #expect(reply.text.contains("/v1/partner/returns/{id}/inspection"))
            // The file with one change: `servers` is the public URL the service is configured with.
            let served = try #require(try Yams.load(yaml: reply.text) as? [String: Any])
            let built = try #require(try Yams.load(yaml: OpenAPIDocument.text) as? [String: Any])
            #expect(served["servers"] as? [[String: String]] == [["url": "https://returns.example"]])
            #expect(built["servers"] as? [[String: String]] == [["url": "http://127.0.0.1:8080"]])
            #expect(Set(served.keys) == Set(built.keys))
            #expect((served["paths"] as? [String: Any])?.count == (built["paths"] as? [String: Any])?.count)
            // Any URL stays one YAML string.
            let odd = try #require(try Yams.load(yaml: OpenAPIDocument.text(servedAt: "https://x.example/a: #b")) as? [String: Any])
            #expect(odd["servers"] as? [[String: String]] == [["url": "https://x.example/a: #b"]])
            // Tools that read only text/* as text can ask for it; both types are declared in the document.
            let text = try await api.send(.get, "/openapi.yaml", headers: [.accept: "text/yaml"])
            #expect(text.headers[.contentType] == "text/yaml; charset=utf-8")
            #expect(text.text == reply.text)
            let paths = try #require(served["paths"] as? [String: Any])
            let operation = try #require((paths["/openapi.yaml"] as? [String: Any])?["get"] as? [String: Any])
            let ok = try #require((operation["responses"] as? [String: Any])?["200"] as? [String: Any])
            #expect(Set((ok["content"] as? [String: Any] ?? [:]).keys) == ["application/yaml", "text/yaml"])
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
