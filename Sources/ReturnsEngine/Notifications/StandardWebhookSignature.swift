import Crypto
import Foundation

/// The Standard Webhooks headers (standardwebhooks.com), sent beside `Returns-Signature` so receivers can verify
/// with that scheme's libraries: `webhook-id` (the message id), `webhook-timestamp` (UNIX seconds) and
/// `webhook-signature: v1,BASE64`, where BASE64 is HMAC-SHA256 over `"\(id).\(timestamp)." + body`. The key is the
/// UTF-8 bytes of the shared secret, the same key `Returns-Signature` uses; a receiver hands the secret to its
/// library as `whsec_` + base64 of those bytes.
public enum StandardWebhookSignature {
    public static let idHeader = "webhook-id"
    public static let timestampHeader = "webhook-timestamp"
    public static let signatureHeader = "webhook-signature"

    /// The three headers, by name.
    public static func headers(secret: String, id: String, timestamp: Int, body: Data) -> [(String, String)] {
        [
            (idHeader, id), (timestampHeader, String(timestamp)),
            (signatureHeader, "v1,\(signature(secret: secret, id: id, timestamp: timestamp, body: body))"),
        ]
    }

    static func signature(secret: String, id: String, timestamp: Int, body: Data) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return Data(code).base64EncodedString()
    }

    /// The secret as Standard Webhooks libraries take it: `whsec_` and the key's bytes in base64.
    public static func librarySecret(_ secret: String) -> String { "whsec_" + Data(secret.utf8).base64EncodedString() }

    /// Whether `signatureHeader` (space-separated `v1,BASE64` entries) signs `id`, `timestamp` and `body` with
    /// `secret`, no older than `tolerance` seconds at `now`.
    public static func verify(
        id: String, timestamp: String, signatureHeader: String, body: Data, secret: String, now: Date = Date(),
        tolerance: TimeInterval = 300
    ) -> Bool {
        guard let seconds = Int(timestamp), abs(now.timeIntervalSince1970 - Double(seconds)) <= tolerance else {
            return false
        }
        let expected = Data(signature(secret: secret, id: id, timestamp: seconds, body: body).utf8)
        return signatureHeader.split(separator: " ").contains { entry in
            guard entry.hasPrefix("v1,") else { return false }
            let given = Data(entry.dropFirst(3).utf8)
            guard given.count == expected.count else { return false }
            // Constant time, as in WebhookSignature.verify.
            return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}
