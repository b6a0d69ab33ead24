import Foundation
import Hummingbird

/// A form's fields, as a browser posts them (`application/x-www-form-urlencoded`), read under the size limit every
/// POST gets. A field given twice keeps its first value; one that is not UTF-8 or holds NUL reads as missing.
struct FormBody: Sendable {
    var fields: [String: String]

    init(fields: [String: String]) { self.fields = fields }

    static func read(_ request: Request, limit: Int) async throws -> FormBody {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            throw Problem(
                .contentTooLarge, "body-too-large", title: "The form is too large", detail: "send at most \(limit) bytes")
        }
        return FormBody(encoded: String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    init(encoded: String) {
        var fields: [String: String] = [:]
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), fields[name] == nil else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if let value, !value.unicodeScalars.contains("\u{0}") { fields[name] = value }
        }
        self.fields = fields
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The field trimmed of surrounding spaces; nil when missing or empty.
    subscript(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// The field as typed (with its spaces), for a text area.
    func raw(_ name: String) -> String { fields[name] ?? "" }
}
