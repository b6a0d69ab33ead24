import ArgumentParser
import Foundation
import ReturnsEngine
import ReturnsStore

struct PartnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner",
        abstract: "Manage logistics partners (3PLs) and their API keys; import their manifests; see their scorecards.",
        discussion: """
            A partner's key is printed once, when it is made; only its SHA-256 is stored. Give it to the partner \
            for `Authorization: Bearer KEY` on the partner API. Routine returns are assigned to a partner of the \
            customer's region (else one serving every region) with the best inspection SLA record.
            """,
        subcommands: [Add.self, RotateKey.self, List.self, PartnerImportCommand.self, PartnerScorecardCommand.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a partner and print its API key (shown once).")

        @Argument(help: "The partner's name (letters, digits, '-', '_', '.').")
        var name: String
        @Option(help: "The region it serves, like EU or US-WEST; without one it serves every region.")
        var region: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let key = try await database.withEngine { engine in try await engine.accessKeys.addPartner(name: name, region: region) }
            printError("partner \(name) added; its API key follows and is not shown again", prefix: "")
            if output.json { return try printJSON(PartnerKeyOutput(partner: name, key: key)) }
            print(key)
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key", abstract: "Give a partner a new API key; the old one stops working at once.")

        @Argument(help: "The partner's name.")
        var name: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let key = try await database.withEngine { engine in try await engine.accessKeys.rotatePartnerKey(name: name) }
            printError("partner \(name) has a new API key (the old one is revoked); it is not shown again", prefix: "")
            if output.json { return try printJSON(PartnerKeyOutput(partner: name, key: key)) }
            print(key)
        }
    }

    /// `partner add --json` and `partner rotate-key --json`.
    struct PartnerKeyOutput: Encodable {
        var partner: String
        var key: String
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List partners with their region and load.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let partners = try await database.withEngine { engine in try await engine.accessKeys.listPartners() }
            if output.json { return try printJSON(partners) }
            print(
                Table(
                    header: ["NAME", "REGION", "KEYS", "RETURNS", "ADDED"],
                    rows: partners.map {
                        [$0.name, $0.region ?? "(all)", "\($0.activeKeys)", "\($0.assignedReturns)",
                         ISO8601DateFormatter().string(from: $0.createdAt)]
                    }
                ).text)
        }
    }
}

struct FinanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finance",
        abstract: "Manage finance API keys (refunds and manual reviews over HTTP).",
        subcommands: [AddKey<FinanceKeys>.self, RevokeKey<FinanceKeys>.self]
    )
}

struct MerchantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merchant",
        abstract: "Manage merchant API keys (the shop's systems write orders of record over HTTP).",
        subcommands: [AddKey<MerchantKeys>.self, RevokeKey<MerchantKeys>.self]
    )
}

/// A role whose keys are named after who holds them (a person or a system), not after a partner.
protocol NamedKeyRole {
    static var role: KeyHolder.Role { get }
}

enum FinanceKeys: NamedKeyRole {
    static var role: KeyHolder.Role { .finance }
}

enum MerchantKeys: NamedKeyRole {
    static var role: KeyHolder.Role { .merchant }
}

struct AddKey<Role: NamedKeyRole>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "add-key", abstract: "Make a \(Role.role.rawValue) API key and print it (shown once).")
    }

    @Argument(help: "Who the key is for, like a person or a system (letters, digits, '-', '_', '.').")
    var name: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let key = try await database.withEngine { engine in
            try await engine.accessKeys.addKey(role: Role.role, name: name)
        }
        printError("\(Role.role.rawValue) key \(name) made; it follows and is not shown again", prefix: "")
        if output.json { return try printJSON(KeyOutput(name: name, key: key)) }
        print(key)
    }

    struct KeyOutput: Encodable {
        var name: String
        var key: String
    }
}

struct RevokeKey<Role: NamedKeyRole>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "revoke-key", abstract: "Revoke every \(Role.role.rawValue) key with this name.")
    }

    @Argument(help: "The name the keys were made with.")
    var name: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let count = try await database.withEngine { engine in
            try await engine.accessKeys.revokeKeys(name: name, role: Role.role)
        }
        let role = Role.role.rawValue
        guard count > 0 else {
            printError("no working \(role) key is named '\(name)'")
            throw ExitCode(2)
        }
        if output.json { return try printJSON(RevokedOutput(name: name, revoked: count)) }
        print("revoked \(count) \(role) key\(count == 1 ? "" : "s") named \(name)")
    }

    struct RevokedOutput: Encodable {
        var name: String
        var revoked: Int
    }
}
