import Foundation
import Logging
import PostgresNIO

/// One `Schema/NNN_name.sql` file.
public struct Migration: Sendable {
    public var version: Int
    public var file: String
    public var sql: String

    public var checksum: String { sha256Hex(sql) }
}

/// Applies the schema's migrations in order, each once, checksummed, under an advisory lock.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Reads every `NNN_name.sql` in `directory`.
    public init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for name in names {
            guard let version = Int(name.prefix { $0.isNumber }), name.first?.isNumber == true else { continue }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, file: name, sql: sql))
        }
        self.init(migrations: migrations)
    }

    /// The Schema folder: `RETURNS_SCHEMA_DIR`, else `./Schema`, else the one beside these sources.
    public static func locateSchema(explicit: String? = nil) throws -> URL {
        try ProjectFolder.locate("Schema", explicit: explicit, variable: "RETURNS_SCHEMA_DIR")
    }

    // Any constant works; it only has to be the same for every process of this program.
    static let lockKey: Int64 = 0x7265_7475_726e_73

    /// Applies what is missing and returns the files applied now. One transaction: all of them, or none.
    @discardableResult
    public func migrate(_ database: Database) async throws -> [String] {
        let logger = database.logger
        let migrations = self.migrations
        // Unbounded: the advisory lock waits for another process's migration, however long it takes, and DDL may
        // wait for the locks of the transactions in flight.
        return try await database.transaction(limits: .unbounded) { connection in
            for try await _ in try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger) {}
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, file text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: [Int: (String, String)] = [:]
            for try await (version, file, checksum) in try await connection.query(
                "SELECT version, file, checksum FROM schema_migrations", logger: logger
            ).decode((Int, String, String).self) {
                applied[version] = (file, checksum)
            }
            var appliedNow: [String] = []
            for migration in migrations {
                if let (_, checksum) = applied[migration.version] {
                    guard checksum == migration.checksum else {
                        throw StoreError.migrationChanged(
                            file: migration.file, applied: checksum, now: migration.checksum)
                    }
                    continue
                }
                for (index, statement) in SQLScript.statements(in: migration.sql).enumerated() {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch {
                        throw StoreError.migrationFailed(
                            file: migration.file, statement: index + 1, detail: StoreError.describe(error))
                    }
                }
                try await connection.query(
                    """
                    INSERT INTO schema_migrations (version, file, checksum)
                    VALUES (\(migration.version), \(migration.file), \(migration.checksum))
                    """, logger: logger)
                appliedNow.append(migration.file)
            }
            return appliedNow
        }
    }

    /// Whether every migration is applied with its current checksum.
    public func isCurrent(_ database: Database) async throws -> Bool {
        let applied: [Int: String]
        do {
            applied = try await database.withConnection { connection in
                var applied: [Int: String] = [:]
                for try await (version, checksum) in try await connection.query(
                    "SELECT version, checksum FROM schema_migrations", logger: database.logger
                ).decode((Int, String).self) {
                    applied[version] = checksum
                }
                return applied
            }
        } catch {
            return false
        }
        return migrations.allSatisfy { applied[$0.version] == $0.checksum }
    }
}

/// Finds a folder that ships beside the sources (Schema, Workflows) at run time.
public enum ProjectFolder {
    /// `explicit` (the operator's, named by `variable` in the error) first, then `./NAME`, then beside the sources.
    public static func locate(_ name: String, explicit: String?, variable: String) throws -> URL {
        var candidates: [String] = []
        if let explicit, !explicit.isEmpty { candidates.append(explicit) }
        candidates.append(FileManager.default.currentDirectoryPath + "/" + name)
        // The package root, as compiled: Sources/ReturnsStore/Migrations/Migrator.swift -> ../../../
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(name).path)
        var isDirectory: ObjCBool = false
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) && isDirectory.boolValue {
            return URL(fileURLWithPath: candidate)
        }
        throw ProjectFolderError(name: name, variable: variable, searched: candidates)
    }
}

public struct ProjectFolderError: Error, CustomStringConvertible {
    public var name: String
    public var variable: String
    public var searched: [String]

    public var description: String {
        "no \(name) folder found (looked in \(searched.joined(separator: ", "))); set \(variable) to its path"
    }
}
