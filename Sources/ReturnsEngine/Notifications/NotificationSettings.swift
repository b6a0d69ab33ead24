import Foundation
import ReturnsCore

/// How a dispatcher behaves. Defaults suit production; tests shorten the times.
public struct NotificationSettings: Sendable {
    /// Where customers reach the status page; `status_url` is this plus `/status/TOKEN`.
    public var publicBaseURL: String
    public var retry: RetryPolicy
    /// Messages claimed per transaction (at most one per return), delivered concurrently.
    public var batchSize: Int
    /// The polling fallback: how long to wait for a `NOTIFY` before looking anyway.
    public var pollInterval: Duration
    /// Pause before reconnecting a lost LISTEN connection.
    public var reconnectDelay: Duration

    public init(
        publicBaseURL: String = ProcessInfo.processInfo.environment["RETURNS_PUBLIC_URL"] ?? "http://localhost:8080",
        retry: RetryPolicy = RetryPolicy(), batchSize: Int = 50, pollInterval: Duration = .seconds(2),
        reconnectDelay: Duration = .seconds(1)
    ) {
        self.publicBaseURL = publicBaseURL
        self.retry = retry
        self.batchSize = max(1, batchSize)
        self.pollInterval = pollInterval
        self.reconnectDelay = reconnectDelay
    }
}

/// Which channel to deliver through, from command-line options over environment variables.
public enum ChannelConfiguration {
    /// `webhook` needs a URL and a secret; `spool` a directory.
    public static func make(
        channel: String?, webhookURL: String?, webhookSecret: String?, spoolDirectory: String?,
        timeout: Duration = .seconds(10), environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(NotificationConfigError) -> any NotificationChannel {
        let name = channel ?? environment["RETURNS_NOTIFY_CHANNEL"] ?? "spool"
        switch name {
        case "webhook":
            guard let text = webhookURL ?? environment["RETURNS_WEBHOOK_URL"], !text.isEmpty else {
                throw .init("the webhook channel needs a URL: give --webhook-url or set RETURNS_WEBHOOK_URL")
            }
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw .init("'\(text)' is not an http(s) URL for the webhook")
            }
            guard let secret = webhookSecret ?? environment["RETURNS_WEBHOOK_SECRET"], secret.utf8.count >= 16 else {
                throw .init(
                    "the webhook channel signs every request: set RETURNS_WEBHOOK_SECRET (or --webhook-secret) to a "
                        + "shared secret of at least 16 characters")
            }
            return WebhookChannel(url: url, secret: secret, timeout: timeout)
        case "spool":
            let path = spoolDirectory ?? environment["RETURNS_SPOOL_DIR"] ?? "./.returns/spool"
            do {
                return try SpoolChannel(
                    directory: URL(fileURLWithPath: path),
                    from: environment["RETURNS_MAIL_FROM"] ?? "Returns <returns@localhost>")
            } catch {
                throw .init(error.description)
            }
        default:
            throw .init("unknown channel '\(name)'; use webhook or spool")
        }
    }
}

public struct NotificationConfigError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
