import Foundation
import Hummingbird
import ReturnsCore

/// A request's JSON object, read with the checks every POST gets: content type, size, UTF-8, syntax, and no
/// unknown fields. Field readers name the field at fault, so a client learns exactly what to fix.
struct JSONBody {
    var fields: [String: JSONValue]
    /// Where this object sits in the request, for messages (`items[2].`); empty at the top.
    var path = ""

    /// Reads the body of `request`, at most `limit` bytes. An empty body reads as `{}` when `allowEmpty`.
    static func read(
        _ request: Request, limit: Int, known: Set<String>, allowEmpty: Bool = false
    ) async throws -> JSONBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw Problem(
                .contentTooLarge, "body-too-large", title: "The request body is too large",
                detail: "send at most \(limit) bytes")
        }
        if buffer.readableBytes == 0 && allowEmpty { return JSONBody(fields: [:]) }
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        guard type?.lowercased() == "application/json" else {
            throw Problem(
                .unsupportedMediaType, "unsupported-media-type", title: "The body must be JSON",
                detail: "send 'Content-Type: application/json' (got \(type.map { "'\($0)'" } ?? "none"))",
                field: "Content-Type")
        }
        let bytes = Data(buffer.readableBytesView)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw Problem(.badRequest, "malformed-json", title: "The body is not valid UTF-8", detail: "send UTF-8 JSON")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: bytes)
        } catch {
            throw Problem(
                .badRequest, "malformed-json", title: "The body is not valid JSON", detail: "the JSON does not parse: \(Self.reason(error))")
        }
        guard case .object(let fields) = value else {
            throw Problem(.badRequest, "malformed-json", title: "The body must be a JSON object", detail: "send {...}")
        }
        // PostgreSQL cannot store U+0000 in text or jsonb: refuse it here, naming where it is, instead of failing
        // at the database with a 500.
        if let path = Self.pathOfNUL(in: value, at: "") {
            throw Problem.invalid(path.isEmpty ? "body" : path, "must not contain the NUL character (\\u0000)")
        }
        let body = JSONBody(fields: fields)
        try body.refuseUnknown(known)
        return body
    }

    /// Where the first string or key holding U+0000 is (`items[0].notes`), or nil.
    static func pathOfNUL(in value: JSONValue, at path: String) -> String? {
        switch value {
        case .string(let text): return text.unicodeScalars.contains("\u{0}") ? path : nil
        case .array(let values):
            for (index, element) in values.enumerated() {
                if let found = pathOfNUL(in: element, at: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let fields):
            for (key, element) in fields.sorted(by: { $0.key < $1.key }) {
                let inner = path.isEmpty ? key : "\(path).\(key)"
                if key.unicodeScalars.contains("\u{0}") { return inner }
                if let found = pathOfNUL(in: element, at: inner) { return found }
            }
            return nil
        case .null, .bool, .number: return nil
        }
    }

    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                ?? context.debugDescription
        }
        return "\(error)"
    }

    func name(_ field: String) -> String { path + field }

    func refuseUnknown(_ known: Set<String>) throws {
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw Problem.invalid(
                name(unknown), "unknown field; the known ones are \(known.sorted().joined(separator: ", "))")
        }
    }

    func string(_ field: String, maxLength: Int = 200) throws -> String {
        guard let value = try optionalString(field, maxLength: maxLength) else {
            throw Problem.invalid(name(field), "required")
        }
        return value
    }

    func optionalString(_ field: String, maxLength: Int = 200) throws -> String? {
        guard let value = fields[field], value != .null else { return nil }
        guard case .string(let text) = value else { throw Problem.invalid(name(field), "must be a string") }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, text.count <= maxLength else {
            throw Problem.invalid(name(field), "must be 1 to \(maxLength) characters")
        }
        return text
    }

    func oneOf<T: RawRepresentable<String> & CaseIterable>(_ field: String, _ type: T.Type) throws -> T {
        let text = try string(field, maxLength: 64)
        guard let value = T(rawValue: text) else {
            throw Problem.invalid(name(field), "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func integer(_ field: String, minimum: Int, maximum: Int) throws -> Int {
        guard case .number(let number)? = fields[field] else {
            throw Problem.invalid(name(field), fields[field] == nil ? "required" : "must be a whole number")
        }
        guard number.rounded() == number, number >= Double(minimum), number <= Double(maximum) else {
            throw Problem.invalid(name(field), "must be a whole number from \(minimum) to \(maximum)")
        }
        return Int(number)
    }

    func bool(_ field: String) throws -> Bool? {
        guard let value = fields[field], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw Problem.invalid(name(field), "must be true or false") }
        return flag
    }

    func date(_ field: String) throws -> Date? {
        guard let text = try optionalString(field, maxLength: 40) else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw Problem.invalid(name(field), "'\(text)' is not a date like 2026-11-02 or 2026-11-02T10:00:00Z")
        }
        return date
    }

    /// A list of objects, each checked for unknown fields, at least one and at most `maximum`.
    func objects(_ field: String, known: Set<String>, maximum: Int = 100) throws -> [JSONBody] {
        guard case .array(let entries)? = fields[field] else {
            throw Problem.invalid(name(field), fields[field] == nil ? "required" : "must be a list")
        }
        guard !entries.isEmpty, entries.count <= maximum else {
            throw Problem.invalid(name(field), "must list 1 to \(maximum) entries")
        }
        return try entries.enumerated().map { index, entry in
            let path = "\(name(field))[\(index)]."
            guard case .object(let fields) = entry else {
                throw Problem.invalid("\(name(field))[\(index)]", "must be an object")
            }
            let body = JSONBody(fields: fields, path: path)
            try body.refuseUnknown(known)
            return body
        }
    }

    /// Optional list of short strings (photo references).
    func strings(_ field: String, maximum: Int = 20) throws -> [String] {
        guard let value = fields[field], value != .null else { return [] }
        guard case .array(let entries) = value, entries.count <= maximum else {
            throw Problem.invalid(name(field), "must be a list of at most \(maximum) strings")
        }
        return try entries.enumerated().map { index, entry in
            guard case .string(let text) = entry, !text.isEmpty, text.count <= 500 else {
                throw Problem.invalid("\(name(field))[\(index)]", "must be a string of 1 to 500 characters")
            }
            return text
        }
    }
}
