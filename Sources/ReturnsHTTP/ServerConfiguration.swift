import Foundation

/// How `returns serve` listens and what it tells customers.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The address customers reach the service at, for status page links in answers and notifications.
    public var publicBaseURL: String
    /// The largest request body accepted, in bytes.
    public var maxBodyBytes: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, publicBaseURL: String? = nil, maxBodyBytes: Int = 64 * 1024) {
        self.host = host
        self.port = port
        self.publicBaseURL = (publicBaseURL ?? "http://\(host):\(port)").trimmingSuffix("/")
        self.maxBodyBytes = maxBodyBytes
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
