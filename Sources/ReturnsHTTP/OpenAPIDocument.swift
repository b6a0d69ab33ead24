import Foundation

/// The OpenAPI 3.1 description of every route, shipped with the binary and served at `/openapi.yaml`.
public enum OpenAPIDocument {
    /// The document, or nil when the resource bundle was not installed beside the binary.
    public static let bundled: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml").flatMap {
        try? String(contentsOf: $0, encoding: .utf8)
    }

    public static var text: String { bundled ?? "openapi: 3.1.0\ninfo: {title: returns, version: missing}\npaths: {}\n" }

    /// The document as served: its `servers` is the one address clients are to use, the configured public URL,
    /// instead of the file's development default.
    public static func text(servedAt publicBaseURL: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // A JSON string is a YAML scalar too, so any URL is quoted safely.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let quoted = (try? encoder.encode(publicBaseURL)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        let replacement = ["servers:", "  - url: \(quoted)"]
        // A top-level block ends at the next line that is not indented (the next top-level key).
        func end(ofBlockAt start: Int) -> Int {
            lines[(start + 1)...].firstIndex { !$0.hasPrefix(" ") && !$0.isEmpty } ?? lines.endIndex
        }
        if let start = lines.firstIndex(where: { $0.hasPrefix("servers:") }) {
            lines.replaceSubrange(start..<end(ofBlockAt: start), with: replacement)
        } else {
            let info = lines.firstIndex { $0.hasPrefix("info:") }
            lines.insert(contentsOf: replacement, at: info.map { end(ofBlockAt: $0) } ?? lines.endIndex)
        }
        return lines.joined(separator: "\n")
    }
}
