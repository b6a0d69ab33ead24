import Foundation

/// The ways notifications can go out.
public enum ChannelKind: String, Sendable, CaseIterable {
    case webhook
    case spool
}

/// Which channel to deliver through and how, as resolved by the composition root.
public enum ChannelSettings: Sendable {
    /// A signed POST per message; `url` and `secret` may be missing here and are refused by `makeChannel`.
    case webhook(url: String?, secret: String?, timeout: Duration)
    /// An `.eml` file per message in `directory`, each `Message-ID` on `messageIDDomain`.
    case spool(directory: String, from: String, messageIDDomain: String)

    /// The channel, or why these settings cannot make one.
    public func makeChannel() throws(NotificationConfigError) -> any NotificationChannel {
        switch self {
        case .webhook(let text, let secret, let timeout):
            guard let text, !text.isEmpty else {
                throw .init("the webhook channel needs a URL: give --webhook-url or set RETURNS_WEBHOOK_URL")
            }
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw .init("'\(text)' is not an http(s) URL for the webhook")
            }
            guard let secret, secret.utf8.count >= 16 else {
                throw .init(
                    "the webhook channel signs every request: set RETURNS_WEBHOOK_SECRET (or --webhook-secret) to a "
                        + "shared secret of at least 16 characters")
            }
            return WebhookChannel(url: url, secret: secret, timeout: timeout)
        case .spool(let directory, let from, let domain):
            do {
                return try SpoolChannel(directory: URL(fileURLWithPath: directory), from: from, messageIDDomain: domain)
            } catch {
                throw .init(error.description)
            }
        }
    }
}

public struct NotificationConfigError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
