import Crypto
import CryptoExtras
import Foundation
import ReturnsCore
import ReturnsStore

/// A staff member's role in the console.
public enum StaffRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// Operations: every return, notifications, follow-ups.
    case ops
    /// Finance: reviews and refunds.
    case finance
    /// A logistics partner's staff: only that partner's returns, receipts and inspections.
    case partner
}

/// Who is signed in to the console.
public struct StaffMember: Sendable, Hashable {
    public var id: Int64
    public var email: String
    public var role: StaffRole
    public var partnerID: Int64?
    public var partnerName: String?
    /// How the history and the audit log name them.
    public var actor: String { "staff:\(email)" }
}

/// Why signing in failed. A wrong password and an unknown email are the same answer.
public enum SignInRefusal: Error, Sendable, Hashable {
    case wrongCredentials
    case locked(until: Date)
}

/// Staff accounts: added and revoked by an operator, signed in with a password hashed by scrypt, sessions in the
/// database (only the token's SHA-256 is stored), an account locked after repeated failures.
public struct StaffAccounts: Sendable {
    let engine: Engine

    /// Failures in a row before the account is locked, and for how long.
    public static let lockAfter = 5
    public static let lockSeconds = 15 * 60
    /// How long a session lasts.
    public static let sessionSeconds = 8 * 3600

    /// Adds (or replaces) a staff member. A partner's staff name their partner; others name none.
    public func add(email: String, role: StaffRole, partner: String?, password: String) async throws -> StaffMember {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard EmailAddress(email) != nil else {
            throw EngineError.invalidInput(field: "email", reason: "'\(email)' is not an email address")
        }
        guard password.count >= 12 else {
            throw EngineError.invalidInput(field: "password", reason: "use at least 12 characters")
        }
        if role == .partner, partner == nil {
            throw EngineError.invalidInput(field: "partner", reason: "a partner's staff need --partner NAME")
        }
        if role != .partner, partner != nil {
            throw EngineError.invalidInput(field: "partner", reason: "only the partner role takes --partner")
        }
        let hash = try Self.hash(password)
        return try await engine.transaction { [engine] connection in
            var partnerID: Int64?
            if let partner {
                guard let found = try await engine.store.partners.findPartner(named: partner, on: connection) else {
                    throw EngineError.partnerNotFound(name: partner)
                }
                partnerID = found
            }
            let id = try await engine.store.staff.upsert(
                email: email, role: role.rawValue, partnerID: partnerID, passwordHash: hash, on: connection)
            return StaffMember(id: id, email: email, role: role, partnerID: partnerID, partnerName: partner)
        }
    }

    /// Disables the account and revokes its sessions at once; nil for no such staff member.
    public func revoke(email: String) async throws -> Int? {
        try await engine.transaction { [engine] connection in
            try await engine.store.staff.revoke(email: email.lowercased(), on: connection)
        }
    }

    public func list() async throws -> [StaffRecord] {
        try await engine.read { [engine] connection in try await engine.store.staff.list(on: connection) }
    }

    /// A session token for a good password; counts a failure (and locks at the limit) for a bad one.
    public func signIn(email: String, password: String) async throws -> (token: String, member: StaffMember) {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        let opened: (token: String, member: StaffMember)? = try await engine.transaction { [engine] connection in
            guard let record = try await engine.store.staff.find(email: email, on: connection), !record.disabled else {
                // The same work as a real check, so the answer's time tells nothing about which emails exist.
                _ = Self.verify(password, against: Self.decoy)
                throw SignInRefusal.wrongCredentials
            }
            if let until = record.lockedUntil, until > Date() { throw SignInRefusal.locked(until: until) }
            guard Self.verify(password, against: record.passwordHash), let member = StaffMember(record) else {
                // Committed: the failure counts although the answer is a refusal.
                try await engine.store.staff.recordFailure(
                    record.id, limit: Self.lockAfter, lockSeconds: Self.lockSeconds, on: connection)
                return nil
            }
            let token = RandomToken.urlSafe()
            try await engine.store.staff.openSession(
                tokenSHA256: sha256Hex(token), staffID: record.id, ttlSeconds: Self.sessionSeconds, on: connection)
            return (token, member)
        }
        guard let opened else { throw SignInRefusal.wrongCredentials }
        return opened
    }

    /// The member behind a session token, or nil when it is unknown, expired or revoked.
    public func member(session token: String) async throws -> StaffMember? {
        guard token.count <= 128 else { return nil }
        return try await engine.read { [engine] connection in
            try await engine.store.staff.session(tokenSHA256: sha256Hex(token), on: connection).flatMap(StaffMember.init)
        }
    }

    public func signOut(session token: String) async throws {
        try await engine.transaction { [engine] connection in
            try await engine.store.staff.closeSession(tokenSHA256: sha256Hex(token), on: connection)
        }
    }

    // MARK: - Passwords

    /// scrypt with N = 2^15, r = 8, p = 1 (OWASP's recommendation), a 16-byte salt and a 32-byte key.
    static func hash(_ password: String, rounds: Int = 1 << 15) throws -> String {
        let salt = RandomToken.bytes(16)
        let key = try KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: 32, rounds: rounds, blockSize: 8, parallelism: 1)
        let bytes = key.withUnsafeBytes { Data($0) }
        return "scrypt$\(rounds)$8$1$\(salt.base64EncodedString())$\(bytes.base64EncodedString())"
    }

    static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let block = Int(parts[2]),
            let parallel = Int(parts[3]), let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
            (1 << 10...1 << 20).contains(rounds)
        else { return false }
        guard
            let key = try? KDF.Scrypt.deriveKey(
                from: Data(password.utf8), salt: salt, outputByteCount: expected.count, rounds: rounds, blockSize: block,
                parallelism: parallel)
        else { return false }
        let derived = key.withUnsafeBytes { Data($0) }
        return derived.count == expected.count && zip(derived, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A hash no password matches, checked when the email is unknown.
    static let decoy = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
}

extension StaffMember {
    init?(_ record: StaffRecord) {
        guard let role = StaffRole(rawValue: record.role) else { return nil }
        self.init(
            id: record.id, email: record.email, role: role, partnerID: record.partnerID, partnerName: record.partnerName)
    }
}
