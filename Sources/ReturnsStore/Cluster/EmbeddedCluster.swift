import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private PostgreSQL cluster started from the system's server binaries, for the CLI, the demo and the tests.
///
/// It listens on a unix socket in its own folder and on 127.0.0.1 only, trusts local connections and is reused
/// while it runs. Run as root, the server runs as the `postgres` user, because PostgreSQL refuses to run as root.
public struct EmbeddedCluster: Sendable {
    /// `$RETURNS_HOME`: where the cluster (or, as root, a pointer to it) lives.
    public let home: URL
    /// Trade durability for speed (fsync off); for throwaway test clusters only.
    public let isThrowaway: Bool
    /// Where initdb and pg_ctl are (`RETURNS_PG_BINDIR`); nil looks in the usual places.
    public let binDirectory: String?

    public static let superuser = "returns"

    /// `binDirectory` holds initdb and pg_ctl; nil looks in the usual places (`pg_config --bindir` first).
    public init(home: String, isThrowaway: Bool = false, binDirectory: String? = nil) {
        self.home = URL(fileURLWithPath: home).standardizedFileURL
        self.isThrowaway = isThrowaway
        self.binDirectory = binDirectory
    }

    /// Where the server can be reached once started.
    public struct Endpoint: Sendable, Hashable {
        public var socketDirectory: String
        public var port: Int

        public var socketPath: String { "\(socketDirectory)/.s.PGSQL.\(port)" }
    }

    /// Starts the cluster, creating it on first use; returns at once if it already runs.
    @discardableResult
    public func start() throws -> Endpoint {
        try createDirectory(home, owner: nil)
        return try withLock {
            let binaries = try PostgresBinaries.locate(explicit: binDirectory)
            let runAs = try serverUser()
            let folder = try clusterFolder(runAs: runAs)
            let data = folder.appendingPathComponent("data")
            if !FileManager.default.fileExists(atPath: data.appendingPathComponent("PG_VERSION").path) {
                try initialize(data: data, folder: folder, binaries: binaries, runAs: runAs)
            }
            let port = try readPort(folder: folder)
            let status = try run(binaries.pgCtl, ["status", "-D", data.path], as: runAs, in: folder)
            if status.code != 0 {
                let log = folder.appendingPathComponent("postgres.log").path
                let started = try run(
                    binaries.pgCtl, ["start", "-D", data.path, "-l", log, "-w", "-t", "60", "-s"], as: runAs, in: folder
                )
                if started.code != 0 {
                    throw ClusterError.startFailed(log: log, detail: started.output + Self.tail(of: log))
                }
            }
            return Endpoint(socketDirectory: folder.path, port: port)
        }
    }

    /// Stops the cluster if it runs. Returns whether it was running.
    @discardableResult
    public func stop() throws -> Bool {
        guard FileManager.default.fileExists(atPath: home.path) else { return false }
        return try withLock {
            let binaries = try PostgresBinaries.locate(explicit: binDirectory)
            let runAs = try serverUser()
            let folder = try clusterFolder(runAs: runAs)
            let data = folder.appendingPathComponent("data")
            guard FileManager.default.fileExists(atPath: data.path) else { return false }
            let status = try run(binaries.pgCtl, ["status", "-D", data.path], as: runAs, in: folder)
            guard status.code == 0 else { return false }
            let stopped = try run(binaries.pgCtl, ["stop", "-D", data.path, "-m", "fast", "-w", "-s"], as: runAs, in: folder)
            if stopped.code != 0 { throw ClusterError.stopFailed(detail: stopped.output) }
            return true
        }
    }

    // MARK: - Creating the cluster

    private func initialize(data: URL, folder: URL, binaries: PostgresBinaries, runAs: String?) throws {
        try createDirectory(folder, owner: runAs)
        try? FileManager.default.removeItem(at: data)
        let result = try run(
            binaries.initdb,
            ["-D", data.path, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"],
            as: runAs, in: folder)
        guard result.code == 0 else { throw ClusterError.initFailed(detail: result.output) }
        let port = try Self.freePort()
        var settings = """

            # returns: private cluster, reachable on this machine only
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(folder.path)'
            max_connections = 200
            shared_buffers = 128MB

            """
        if isThrowaway {
            settings += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            // Every test has a pool of its own and the suite runs them at once: 200 was seen running out.
            settings += "max_connections = 500\n"
        }
        let conf = data.appendingPathComponent("postgresql.conf")
        guard let handle = try? FileHandle(forWritingTo: conf) else { throw ClusterError.initFailed(detail: "cannot write \(conf.path)") }
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try? handle.close()
        do {
            try "\(port)\n".write(to: folder.appendingPathComponent("port"), atomically: true, encoding: .utf8)
        } catch {
            throw ClusterError.initFailed(detail: "cannot record the port in \(folder.path): \(error)")
        }
    }

    private func readPort(folder: URL) throws -> Int {
        let file = folder.appendingPathComponent("port")
        guard let text = try? String(contentsOf: file, encoding: .utf8),
            let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw ClusterError.initFailed(detail: "\(file.path) is missing; remove \(folder.path) to create the cluster anew")
        }
        return port
    }

    /// As root the server runs as `postgres`; otherwise as the current user.
    private func serverUser() throws -> String? {
        guard geteuid() == 0 else { return nil }
        guard getpwnam("postgres") != nil else { throw ClusterError.noPostgresUser }
        return "postgres"
    }

    /// The folder holding data, socket, port and log: inside `home` unless, as root, the `postgres` user cannot
    /// reach it (a checkout under root's home); then a folder in the temporary directory named after `home`.
    private func clusterFolder(runAs: String?) throws -> URL {
        let inside = home.appendingPathComponent("pg")
        guard let runAs else { return inside }
        let reachable = try run("/usr/bin/test", ["-x", home.path], as: runAs, in: URL(fileURLWithPath: "/"))
        if reachable.code == 0 { return inside }
        let digest = Self.fnv1a(home.path)
        return URL(fileURLWithPath: "/tmp/returns-pg-\(digest)")
    }

    private func createDirectory(_ url: URL, owner: String?) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            if let owner {
                guard let entry = getpwnam(owner) else { throw ClusterError.noPostgresUser }
                guard chown(url.path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                    throw ClusterError.initFailed(detail: "cannot give \(url.path) to \(owner): \(String(cString: strerror(errno)))")
                }
                chmod(url.path, 0o700)
            }
        } catch let error as ClusterError {
            throw error
        } catch {
            throw ClusterError.initFailed(detail: "cannot create \(url.path): \(error)")
        }
    }

    // MARK: - Processes and locking

    struct CommandResult {
        var code: Int32
        var output: String
    }

    private func run(_ executable: String, _ arguments: [String], as user: String?, in directory: URL) throws
        -> CommandResult
    {
        // Output goes to a file, not a pipe: a server started by pg_ctl must not hold our pipe open.
        let outputFile = home.appendingPathComponent("launcher-\(getpid())-\(UUID().uuidString.prefix(8)).out")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let code: Int32
        if let user {
            code = try ChildProcess.run(
                "/usr/sbin/runuser", ["-u", user, "--", executable] + arguments, in: directory.path,
                outputPath: outputFile.path)
        } else {
            code = try ChildProcess.run(executable, arguments, in: directory.path, outputPath: outputFile.path)
        }
        let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return CommandResult(code: code, output: output)
    }

    /// Serializes start and stop across processes (tests, two CLIs at once) with an exclusive file lock.
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let path = home.appendingPathComponent("launcher.lock").path
        let fd = open(path, O_CREAT | O_RDWR, 0o600)
        guard fd >= 0 else { throw ClusterError.initFailed(detail: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw ClusterError.initFailed(detail: "cannot lock \(path)") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError.initFailed(detail: "cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw ClusterError.initFailed(detail: "cannot find a free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func tail(of path: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        return "\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    private static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Why the embedded cluster could not be started or stopped.
public enum ClusterError: Error, CustomStringConvertible {
    case binariesNotFound(searched: [String])
    case noPostgresUser
    case initFailed(detail: String)
    case startFailed(log: String, detail: String)
    case stopFailed(detail: String)
    case commandFailed(command: String, detail: String)

    public var description: String {
        switch self {
        case .binariesNotFound(let searched):
            return "PostgreSQL server binaries (initdb, pg_ctl) not found in \(searched.joined(separator: ", ")); "
                + "install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) "
                + "or set DATABASE_URL to an existing server"
        case .noPostgresUser:
            return "running as root, the embedded PostgreSQL needs a 'postgres' user to run the server as; "
                + "create it (useradd --system postgres) or run as an ordinary user"
        case .initFailed(let detail):
            return "could not create the embedded PostgreSQL cluster: \(detail)"
        case .startFailed(let log, let detail):
            return "could not start the embedded PostgreSQL (log: \(log)):\n\(detail)"
        case .stopFailed(let detail):
            return "could not stop the embedded PostgreSQL: \(detail)"
        case .commandFailed(let command, let detail):
            return "could not run \(command): \(detail)"
        }
    }
}
