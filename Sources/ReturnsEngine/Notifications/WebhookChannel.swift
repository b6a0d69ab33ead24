import Foundation
import ReturnsCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// POSTs each notification as a signed JSON envelope. Any 2xx answer is a delivery; anything else, a timeout or a
/// refused connection is a failed attempt.
public struct WebhookChannel: NotificationChannel {
    public let name = "webhook"
    public let url: URL
    let secret: String
    let timeout: Duration
    let session: URLSession

    public init(url: URL, secret: String, timeout: Duration = .seconds(10)) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        let seconds = timeout.totalSeconds
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        self.session = URLSession(configuration: configuration)
    }

    /// The JSON body a receiver gets.
    public struct Envelope: Codable, Sendable, Hashable {
        /// Lowercase UUIDs, as the rest of the system prints them.
        public var messageID: String
        public var returnID: String
        public var seq: Int
        public var event: String
        public var state: String
        public var template: String
        public var locale: String
        public var requestedLocale: String
        public var to: String
        public var orderRef: String
        public var statusURL: String
        public var subject: String
        public var text: String
        public var html: String
        public var data: [String: JSONValue]
        public var attempt: Int

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id", returnID = "return_id", seq, event, state, template, locale
            case requestedLocale = "requested_locale", to, orderRef = "order_ref", statusURL = "status_url"
            case subject, text, html, data, attempt
        }

        init(_ notification: OutgoingNotification) {
            messageID = notification.messageID.uuidString.lowercased()
            returnID = notification.returnID.uuidString.lowercased()
            seq = notification.seq
            event = notification.event
            state = notification.state
            template = notification.template
            locale = notification.locale
            requestedLocale = notification.requestedLocale
            to = notification.to
            orderRef = notification.orderRef
            statusURL = notification.statusURL
            subject = notification.rendered.subject
            text = notification.rendered.text
            html = notification.rendered.html
            data = notification.data
            attempt = notification.attempt
        }
    }

    public static func body(of notification: OutgoingNotification) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Envelope(notification))
    }

    public func deliver(_ notification: OutgoingNotification) async throws {
        let body = try Self.body(of: notification)
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let messageID = notification.messageID.uuidString.lowercased()
        request.setValue(messageID, forHTTPHeaderField: "Returns-Message-Id")
        request.setValue(
            WebhookSignature.header(secret: secret, timestamp: timestamp, body: body),
            forHTTPHeaderField: WebhookSignature.headerName)
        // The same signature again in the Standard Webhooks scheme, so its libraries verify it as they are.
        for (name, value) in StandardWebhookSignature.headers(
            secret: secret, id: messageID, timestamp: timestamp, body: body)
        {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.sendWithoutCancellation(request)
        } catch let error as URLError where error.code == .timedOut {
            throw DeliveryError("POST \(url.absoluteString) timed out after \(timeout)")
        } catch let error as URLError {
            throw DeliveryError(
                "POST \(url.absoluteString) failed: \(error.localizedDescription) (URLError \(error.code.rawValue))")
        }
        guard let http = response as? HTTPURLResponse else {
            throw DeliveryError("POST \(url.absoluteString): the answer is not HTTP")
        }
        guard (200..<300).contains(http.statusCode) else {
            let excerpt = String(decoding: data.prefix(200), as: UTF8.self)
            throw DeliveryError("POST \(url.absoluteString) answered HTTP \(http.statusCode): \(excerpt)")
        }
    }
}
