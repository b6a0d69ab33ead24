import Foundation
import ReturnsEngine
import Testing

@Suite("Webhook signatures")
struct WebhookSignatureTests {
    static let secret = "test-secret-0123456789"
    static let body = Data(#"{"a":1}"#.utf8)
    static let sent = Date(timeIntervalSince1970: 1_767_225_600)

    @Test("the Standard Webhooks signature is the one the standardwebhooks library computes for the same secret")
    func standardMatchesReference() throws {
        let headers = Dictionary(
            uniqueKeysWithValues: StandardWebhookSignature.headers(
                secret: Self.secret, id: "msg_2f9c", timestamp: 1_767_225_600, body: Self.body))
        // Webhook(b"test-secret-0123456789").sign("msg_2f9c", 2026-01-01T00:00:00Z, '{"a":1}'), standardwebhooks 1.1.0.
        #expect(headers["webhook-signature"] == "v1,KaikmiQj3Q6GLkqrEjT8F7GtM6W4YiwrNDC8/7Yh7l4=")
        #expect(headers["webhook-id"] == "msg_2f9c")
        #expect(headers["webhook-timestamp"] == "1767225600")
        #expect(StandardWebhookSignature.librarySecret(Self.secret) == "whsec_dGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==")
    }

    @Test("Standard Webhooks verification refuses another body, id, secret or an old timestamp")
    func standardVerification() throws {
        let header = "v0,abc v1,KaikmiQj3Q6GLkqrEjT8F7GtM6W4YiwrNDC8/7Yh7l4="
        func verify(
            id: String = "msg_2f9c", body: Data = Self.body, secret: String = Self.secret, at now: Date = Self.sent
        ) -> Bool {
            StandardWebhookSignature.verify(
                id: id, timestamp: "1767225600", signatureHeader: header, body: body, secret: secret, now: now)
        }
        #expect(verify())
        #expect(!verify(body: Data(#"{"a":2}"#.utf8)))
        #expect(!verify(id: "msg_other"))
        #expect(!verify(secret: "another-secret-0123456789"))
        #expect(!verify(at: Self.sent.addingTimeInterval(301)))
        #expect(verify(at: Self.sent.addingTimeInterval(-299)))
    }
}
