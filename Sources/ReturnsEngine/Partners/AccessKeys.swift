import Foundation
import ReturnsCore
import ReturnsStore

/// Logistics partners and the API keys of partners and finance. A key is shown once, when issued; only its
/// SHA-256 is kept.
public struct AccessKeys: Sendable {
    let engine: Engine

    var partners: PartnerRepository { engine.store.partners }

    /// Adds a logistics partner and returns its first API key.
    public func addPartner(name: String, region: String?) async throws -> String {
        try Self.validateName(name, field: "name")
        if let region { try Self.validateName(region, field: "region") }
        let key = try await engine.transaction { [self] connection in
            guard let id = try await partners.insertPartner(name: name, region: region, on: connection) else {
                throw EngineError.partnerExists(name: name)
            }
            return try await issueKey(role: .partner, partnerID: id, name: name, on: connection)
        }
        // This process routes to the new partner at once; others within a minute (their standings expire).
        engine.standings.reset()
        return key
    }

    /// Replaces a partner's key: the old one stops working at once.
    public func rotatePartnerKey(name: String) async throws -> String {
        try await engine.transaction { [self] connection in
            guard let id = try await partners.findPartner(named: name, on: connection) else {
                throw EngineError.partnerNotFound(name: name)
            }
            try await partners.revokeKeys(partnerID: id, name: name, on: connection)
            return try await issueKey(role: .partner, partnerID: id, name: name, on: connection)
        }
    }

    /// Adds a finance or merchant key named `name` (a person or system) and returns it.
    public func addKey(role: KeyHolder.Role, name: String) async throws -> String {
        precondition(role != .partner, "partner keys belong to a partner: addPartner or rotatePartnerKey")
        try Self.validateName(name, field: "name")
        return try await engine.transaction { [self] connection in
            try await issueKey(role: role, partnerID: nil, name: name, on: connection)
        }
    }

    /// Revokes the finance (or merchant) keys named `name`; returns how many.
    public func revokeKeys(name: String, role: KeyHolder.Role = .finance) async throws -> Int {
        try await engine.transaction { [self] connection in
            try await partners.revokeKeys(partnerID: nil, name: name, role: role, on: connection)
        }
    }

    public func listPartners() async throws -> [PartnerRecord] {
        try await engine.read { [self] connection in try await partners.listPartners(on: connection) }
    }

    /// Who holds `key`, or nil for an unknown or revoked key.
    public func keyHolder(for key: String) async throws -> KeyHolder? {
        try await engine.read { [self] connection in
            try await partners.keyHolder(hash: sha256Hex(key), on: connection)
        }
    }

    private func issueKey(role: KeyHolder.Role, partnerID: Int64?, name: String, on connection: DatabaseConnection)
        async throws -> String
    {
        let key = "rk_\(role.rawValue)_" + RandomToken.urlSafe()
        try await partners.insertKey(hash: sha256Hex(key), role: role, partnerID: partnerID, name: name, on: connection)
        return key
    }

    private static func validateName(_ value: String, field: String) throws {
        guard !value.isEmpty, value.count <= 64,
            value.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) })
        else {
            throw EngineError.invalidInput(
                field: field, reason: "'\(value)' must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
    }
}
