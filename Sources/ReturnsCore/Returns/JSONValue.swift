import Foundation

/// A JSON value, for event data that the engine stores and guards inspect.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a JSON object, as given on the command line with `--data`.
    public static func parseObject(_ text: String) throws -> [String: JSONValue] {
        guard let data = text.data(using: .utf8) else { throw JSONObjectError.notAnObject }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw JSONObjectError.malformed(String(describing: error))
        }
        guard case .object(let object) = value else { throw JSONObjectError.notAnObject }
        return object
    }

    /// Canonical JSON text (sorted keys), so the same data always hashes the same.
    public static func canonicalText(_ object: [String: JSONValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

public enum JSONObjectError: Error, CustomStringConvertible {
    case notAnObject
    case malformed(String)

    public var description: String {
        switch self {
        case .notAnObject: return "event data must be a JSON object, like {\"tracking_number\": \"1Z999\"}"
        case .malformed(let detail): return "event data is not valid JSON: \(detail)"
        }
    }
}
