import Foundation
import NIOSSL
import PostgresNIO

/// How to reach PostgreSQL: a `DATABASE_URL`, or the embedded cluster's socket.
public struct DatabaseSettings: Sendable, CustomStringConvertible {
    public enum Address: Sendable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    public var address: Address
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: String
    /// Connections the pool may open.
    public var maximumConnections: Int = 20
    /// The lock and statement waits every `Database.transaction` runs under unless it names its own.
    public var transactionLimits: TransactionLimits = .standard
    /// How long the server may leave the heartbeat's `SELECT 1` unanswered before its connections are taken for dead
    /// (see `Heartbeat`); nil runs no heartbeat.
    public var heartbeatTimeout: Duration?
    /// How often the heartbeat asks; nil: half its timeout, at most a second.
    public var heartbeatInterval: Duration?

    public init(address: Address, username: String, password: String?, database: String, tlsMode: String = "disable") {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    public init(url text: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else {
            throw .init(reason: "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let query = components.queryItems ?? []
        let socketHost = query.first { $0.name == "host" }?.value
        let database = String(components.path.drop { $0 == "/" })
        guard let user = components.user, !user.isEmpty else { throw .init(reason: "the URL names no user") }
        guard !database.isEmpty else { throw .init(reason: "the URL names no database (add /DATABASE)") }
        let port = components.port ?? 5432
        if let socketHost, socketHost.hasPrefix("/") {
            address = .socket(path: "\(socketHost)/.s.PGSQL.\(port)")
        } else {
            guard let host = components.host, !host.isEmpty else { throw .init(reason: "the URL names no host") }
            address = .tcp(host: host, port: port)
        }
        let mode = query.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(mode) else {
            throw .init(reason: "sslmode '\(mode)' is not one of disable, prefer, require")
        }
        username = user.removingPercentEncoding ?? user
        password = components.password?.removingPercentEncoding
        self.database = database
        tlsMode = mode
    }

    /// Settings for the embedded cluster's socket.
    public init(embedded endpoint: EmbeddedCluster.Endpoint, database: String) {
        // Unix socket paths are limited to about 100 bytes; fall back to loopback TCP past that.
        if endpoint.socketPath.utf8.count < 100 {
            address = .socket(path: endpoint.socketPath)
        } else {
            address = .tcp(host: "127.0.0.1", port: endpoint.port)
        }
        username = EmbeddedCluster.superuser
        password = nil
        self.database = database
        tlsMode = "disable"
    }

    /// The same server, another database.
    public func with(database: String) -> DatabaseSettings {
        var copy = self
        copy.database = database
        return copy
    }

    var tls: PostgresClient.Configuration.TLS {
        switch tlsMode {
        case "require": .require(.makeClientConfiguration())
        case "prefer": .prefer(.makeClientConfiguration())
        default: .disable
        }
    }

    public var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch address {
        case .tcp(let host, let port):
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        return configuration
    }

    public var connectionConfiguration: PostgresConnection.Configuration {
        switch address {
        case .tcp(let host, let port):
            let connectionTLS: PostgresConnection.Configuration.TLS =
                switch tlsMode {
                case "require": .require(try! .init(configuration: .makeClientConfiguration()))
                case "prefer": .prefer(try! .init(configuration: .makeClientConfiguration()))
                default: .disable
                }
            return .init(
                host: host, port: port, username: username, password: password, database: database,
                tls: connectionTLS)
        case .socket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    /// The settings as a `DATABASE_URL` another process of this program accepts (password included).
    public var url: String {
        let user = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
        let secret = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0) }
        switch address {
        case .tcp(let host, let port):
            return "postgres://\(user)\(secret ?? "")@\(host):\(port)/\(database)?sslmode=\(tlsMode)"
        case .socket(let path):
            let socket = URL(fileURLWithPath: path)
            return "postgres://\(user)\(secret ?? "")@localhost:\(socket.pathExtension)/\(database)"
                + "?host=\(socket.deletingLastPathComponent().path)&sslmode=disable"
        }
    }

    /// Where the settings point, without the password.
    public var description: String {
        switch address {
        case .tcp(let host, let port): "postgres://\(username)@\(host):\(port)/\(database)"
        case .socket(let path): "postgres://\(username)@/\(database) (socket \(path))"
        }
    }
}

public struct DatabaseURLError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "DATABASE_URL is not usable: \(reason)" }
}
