import Foundation

/// The OpenAPI 3.1 description of every route, shipped with the binary and served at `/openapi.yaml`.
public enum OpenAPIDocument {
    /// The document, or nil when the resource bundle was not installed beside the binary.
    public static let bundled: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml").flatMap {
        try? String(contentsOf: $0, encoding: .utf8)
    }

    public static var text: String { bundled ?? "openapi: 3.1.0\ninfo: {title: returns, version: missing}\npaths: {}\n" }
}
