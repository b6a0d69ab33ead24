import Crypto
import Foundation

/// The `Returns-Signature` header: `t=UNIX_SECONDS,v1=HEX`, where HEX is HMAC-SHA256 with the shared secret over
/// `"\(t)." + body`. The timestamp inside the signed text lets a receiver refuse replays of old requests.
public enum WebhookSignature {
    public static let headerName = "Returns-Signature"

    public static func header(secret: String, timestamp: Int, body: Data) -> String {
        "t=\(timestamp),v1=\(hex(secret: secret, timestamp: timestamp, body: body))"
    }

    static func hex(secret: String, timestamp: Int, body: Data) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` signs `body` with `secret`, no older than `tolerance` seconds at `now`.
    public static func verify(
        header: String, body: Data, secret: String, now: Date = Date(), tolerance: TimeInterval = 300
    ) -> Bool {
        var timestamp: Int?
        var signatures: [String] = []
        for field in header.split(separator: ",") {
            let pair = field.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let timestamp, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let expected = Data(hex(secret: secret, timestamp: timestamp, body: body).utf8)
        // Compare in constant time, so a forger learns nothing from how long a refusal takes.
        return signatures.contains { candidate in
            let given = Data(candidate.utf8)
            guard given.count == expected.count else { return false }
            return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}
