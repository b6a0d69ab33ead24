import Foundation

/// Where the PostgreSQL server programs are: `pg_config --bindir` first, then the distributions' usual folders.
public struct PostgresBinaries: Sendable {
    public var directory: String

    var initdb: String { directory + "/initdb" }
    var pgCtl: String { directory + "/pg_ctl" }

    public static func locate(explicit: String? = nil) throws -> PostgresBinaries {
        let manager = FileManager.default
        // An explicit folder is the operator's word: use it or say it is wrong, never look elsewhere.
        if let explicit, !explicit.isEmpty {
            guard manager.isExecutableFile(atPath: explicit + "/initdb"), manager.isExecutableFile(atPath: explicit + "/pg_ctl")
            else {
                throw ClusterError.binariesNotFound(searched: [explicit + " (RETURNS_PG_BINDIR)"])
            }
            return PostgresBinaries(directory: explicit)
        }
        var candidates: [String] = []
        if let bindir = pgConfigBindir() { candidates.append(bindir) }
        candidates += versionedFolders("/usr/lib/postgresql")
        candidates += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"]
        for folder in candidates
        where manager.isExecutableFile(atPath: folder + "/initdb") && manager.isExecutableFile(atPath: folder + "/pg_ctl") {
            return PostgresBinaries(directory: folder)
        }
        throw ClusterError.binariesNotFound(searched: candidates)
    }

    /// `/usr/lib/postgresql/NN/bin`, newest major version first.
    private static func versionedFolders(_ root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap(Int.init).sorted(by: >).map { "\(root)/\($0)/bin" }
    }

    private static func pgConfigBindir() -> String? {
        for path in ["/usr/bin/pg_config", "/usr/local/bin/pg_config", "/opt/homebrew/bin/pg_config"]
        where FileManager.default.isExecutableFile(atPath: path) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["--bindir"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 0 {
                return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return nil
    }
}
