import Foundation
import Hummingbird
import ReturnsEngine
import ReturnsStore

/// Bearer API keys: who is calling, and whether that role may call this route.
struct Authentication: Sendable {
    let engine: Engine

    /// The holder of the request's key, who must have `role`: no key or an unknown or revoked one is 401, a
    /// working key of another role is 403.
    func require(_ role: KeyHolder.Role, _ request: Request) async throws -> KeyHolder {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw Problem.unauthorized
        }
        let key = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.count <= 200, let holder = try await engine.accessKeys.keyHolder(for: key) else {
            throw Problem.unauthorized
        }
        guard holder.role == role else {
            throw Problem.forbidden("this route is for \(role.rawValue) keys; this key is a \(holder.role.rawValue) key")
        }
        return holder
    }
}

extension Request {
    static let idempotencyKeyHeader = HTTPFields.Element.Name("Idempotency-Key")!

    /// The `Idempotency-Key` header, required on partner and finance commands.
    func idempotencyKey(required: Bool) throws -> String? {
        guard let key = headers[Self.idempotencyKeyHeader]?.trimmingCharacters(in: .whitespaces),
            !key.isEmpty
        else {
            if required { throw Problem.missingIdempotencyKey }
            return nil
        }
        guard key.count <= 200 else {
            throw Problem.invalid("Idempotency-Key", "must be at most 200 characters")
        }
        return key
    }

    /// The return version from `If-Match` (`3`, `"3"` or `W/"3"`), if given.
    func expectedVersion() throws -> Int? {
        guard let header = headers[.ifMatch] else { return nil }
        var text = header.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard text.count <= 9, text.allSatisfy(\.isASCII), let version = Int(text), version >= 0 else {
            throw Problem.invalid("If-Match", "must be the return's version as given in its ETag, like \"3\"")
        }
        return version
    }
}
