import Foundation

/// The OpenAPI 3.1 description of every route, shipped with the binary and served at `/openapi.yaml`.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\ninfo: {title: returns, version: unknown}\npaths: {}\n" }
        return text
    }()
}
