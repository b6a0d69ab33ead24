import Foundation
import ReturnsCore
import ReturnsStore

/// The engine's central guarantee: a command repeated with its idempotency key answers with the first result and
/// writes nothing; the same key with a different request is refused. Every command path from outside (creating a
/// return, applying an event, partner reports, customer cancels, manifest imports) runs through `once`, inside the
/// transaction that does the work, so the result and the key commit together or not at all.
struct Idempotency {
    let keys: IdempotencyRepository

    /// Runs `body` unless `key` was seen: then answers the recorded result, marked replayed, or refuses a key
    /// reused for another request. Call it under the lock that orders commands on the same target (the return's
    /// row lock); a key with no such row (creating) is locked by itself first.
    func once<Result: Replayable>(
        _ key: IdempotencyKey?, on connection: DatabaseConnection, _ body: () async throws -> Result
    ) async throws -> Result {
        guard let key else { return try await body() }
        if key.locksItself { try await keys.lockKey(key.lockName, on: connection) }
        let existing = try await keys.findIdempotencyKey(scope: key.scope, key: key.key, on: connection)
        return try await once(key, found: existing, on: connection, body)
    }

    /// `once`, with the key's record as read under the lock that orders commands on its target (the return's
    /// row lock, read in the same statement: `ReturnRepository.lockReturn(_:readingKey:_:on:)`).
    func once<Result: Replayable>(
        _ key: IdempotencyKey, found existing: IdempotencyRecord?, on connection: DatabaseConnection,
        _ body: () async throws -> Result
    ) async throws -> Result {
        if let existing {
            guard existing.requestHash == key.requestHash else { throw EngineError.idempotencyKeyReused(key: key.key) }
            var replay = try JSONCoding.decode(Result.self, from: existing.response)
            replay.replayed = true
            return replay
        }
        let result = try await body()
        try await keys.recordIdempotencyKey(
            scope: key.scope, key: key.key, requestHash: key.requestHash, returnID: result.returnID,
            responseJSON: try JSONCoding.encode(result), on: connection)
        return result
    }

    /// The recorded answer to `key`, read without taking its lock: for a command that would be refused before it
    /// reaches `once` (a policy or a limit that changed since), so that a repeat still answers as the first time.
    /// A key recorded for another request answers nil here: `once` refuses it, after the command's own checks (a
    /// caller who cannot prove the order learns nothing of its keys).
    func recorded<Result: Replayable>(_ key: IdempotencyKey, on connection: DatabaseConnection) async throws
        -> Result?
    {
        guard let existing = try await keys.findIdempotencyKey(scope: key.scope, key: key.key, on: connection),
            existing.requestHash == key.requestHash
        else {
            return nil
        }
        var replay = try JSONCoding.decode(Result.self, from: existing.response)
        replay.replayed = true
        return replay
    }
}

/// A command's result as recorded under its idempotency key and answered again on a repeat.
protocol Replayable: Codable, Sendable {
    var returnID: UUID { get }
    /// True when this answers a repeated key; nothing new was written.
    var replayed: Bool { get set }
}

/// One command's idempotency key: the caller's key, the scope it is unique in, and a hash of the request it
/// stands for. Every key the engine derives from another is made here, so the derivations sit side by side.
public struct IdempotencyKey: Sendable, Hashable {
    public var scope: String
    public var key: String
    public var requestHash: String
    /// No row lock orders commands with this key (the return does not exist yet), so the key is locked itself.
    var locksItself: Bool

    /// Creating a return: keys are unique among creations.
    static func creating(key: String, request: [String], scope: String = "create") -> IdempotencyKey {
        IdempotencyKey(scope: scope, key: key, requestHash: fingerprint(["create"] + request), locksItself: true)
    }

    /// Applying `event` with `data` to one return: keys are unique per return.
    static func applying(key: String, event: String, data: [String: JSONValue], to returnID: UUID) -> IdempotencyKey {
        IdempotencyKey(
            scope: returnID.uuidString.lowercased(), key: key,
            requestHash: fingerprint([event, JSONValue.canonicalText(data)]), locksItself: false)
    }

    /// The advisory lock's name for a key that locks itself.
    var lockName: String { "\(scope):\(key)" }

    /// The key of a later step that one command takes after its first (a partner's inspection report goes on to
    /// grade and approve the refund): each step commits on its own, so a re-sent report finishes what one began.
    public static func step(_ key: String, event: String) -> String { "\(key)#\(event)" }

    /// The key of one step of a partner's manifest (`receive`, `inspect`), unique per return because keys are.
    public static func manifestStep(_ step: String) -> String { "manifest:\(step)" }

    /// The key a refund is sent to the payment provider with: one refund per return and deciding transition.
    public static func refund(returnID: UUID, seq: Int) -> String { "refund:\(returnID.uuidString.lowercased()):\(seq)" }

    /// A hash of a request's parts; the separator (U+001F) appears in no part, so different parts never collide.
    static func fingerprint(_ parts: [String]) -> String {
        sha256Hex(parts.joined(separator: "\u{1F}"))
    }
}

/// The JSON form of recorded results and breakdowns: sorted keys, so the same value always reads the same.
enum JSONCoding {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
