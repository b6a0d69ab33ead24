import Foundation
import Yams

/// Which methods each documented path takes, read from the OpenAPI document, so a known path asked with
/// another method is answered 405 with `Allow` (tests keep the document and the routes equal).
struct AllowedMethods: Sendable {
    private let paths: [(segments: [Substring], methods: [String])]

    init(document: String) {
        let parsed = (try? Yams.load(yaml: document)) as? [String: Any]
        let items = parsed?["paths"] as? [String: Any] ?? [:]
        paths = items.map { path, item in
            let methods = (item as? [String: Any] ?? [:]).keys.map { $0.uppercased() }
                .filter { ["GET", "POST", "PUT", "PATCH", "DELETE"].contains($0) }.sorted()
            return (path.split(separator: "/"), methods)
        }
    }

    /// The methods `path` takes, or nil when no documented path matches it.
    func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "?").first.map { $0.split(separator: "/") } ?? []
        for entry in paths where entry.segments.count == segments.count {
            let matches = zip(entry.segments, segments).allSatisfy { pattern, segment in
                pattern.hasPrefix("{") || pattern == segment
            }
            if matches { return entry.methods }
        }
        return nil
    }
}
