import Foundation

/// How `returns serve` listens and what it tells customers.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The address customers reach the service at, for status page links in answers and notifications.
    public var publicBaseURL: String
    /// The largest request body accepted, in bytes.
    public var maxBodyBytes: Int
    /// How long a request waits for a database connection before it is answered 503 `database-unavailable`.
    public var databaseWait: Duration
    /// Where customers send their parcels, a line each, printed on the return authorisation
    /// (`RETURNS_RETURN_ADDRESS`, lines separated by `|`); empty: the page prints none.
    public var returnAddress: [String]

    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicBaseURL: String? = nil, maxBodyBytes: Int = 64 * 1024,
        databaseWait: Duration = .seconds(1), returnAddress: [String] = []
    ) {
        self.returnAddress = returnAddress
        self.host = host
        self.port = port
        self.publicBaseURL = (publicBaseURL ?? "http://\(host):\(port)").trimmingSuffix("/")
        self.maxBodyBytes = maxBodyBytes
        self.databaseWait = databaseWait
    }

    /// The customer's status page for `token`.
    public func statusURL(token: String) -> String { "\(publicBaseURL)/status/\(token)" }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
