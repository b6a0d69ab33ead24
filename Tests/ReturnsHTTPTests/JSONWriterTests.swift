import Foundation
import ReturnsEngine
@testable import ReturnsHTTP
import Testing

@Suite("JSON written by hand")
struct JSONWriterTests {
    /// A status with every member filled, or every optional one left out, and text that needs escaping. Made
    /// through its Codable form (the engine's types have no public initialisers); dates as seconds since 1970.
    static func status(full: Bool) throws -> CustomerStatus {
        let tricky = "Größe \"42\" \\ a/b\n\t\r\u{08}\u{0C}\u{01}\u{1F} ✓ שלום 🎁"
        var fields: [String: Any] = [
            "orderRef": full ? "A-1001/\"x\"" : "A-1", "state": "label_issued", "description": tricky, "locale": "de",
            "timeline": [
                ["state": "requested", "description": "Angefragt", "at": 1_796_000_000.5],
                ["state": "label_issued", "description": tricky, "at": 946_684_799.000_001],
            ],
            "lines": [
                ["sku": "SHOE-42", "quantity": 2, "resolution": "exchange"].merging(
                    full ? ["exchangeSKU": "SHOE-43"] : [:], uniquingKeysWith: { $1 }),
                ["sku": "SOCK", "quantity": 1, "resolution": "refund"],
            ],
            "canCancel": full, "labels": ["title": "ignored"], "asksFeedback": false, "isShipped": true,
            "settlements": [],
        ]
        if full {
            fields["nextStep"] = "Bring es zur Post.\n"
            fields["expectedBy"] = 1_796_256_000.999_999
            fields["refund"] = ["amount": "12.50", "currency": "EUR", "status": "pending"]
            fields["credit"] = ["amount": "1500", "currency": "JPY"]
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(CustomerStatus.self, from: JSONSerialization.data(withJSONObject: fields))
    }

    @Test("the status body is the bytes Foundation's encoder writes for it, with every member or with none optional")
    func statusBodyMatchesTheEncoder() throws {
        for full in [true, false] {
            let body = CustomerController.StatusBody(try Self.status(full: full))
            let expected = try JSONResponse.encoder.encode(body)
            let written = Data(body.json.readableBytesView)
            #expect(
                String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "full: \(full)")
        }
    }

    @Test("lists that are empty are written as []")
    func emptyLists() throws {
        var status = try Self.status(full: false)
        status.lines = []
        status.timeline = []
        let body = CustomerController.StatusBody(status)
        #expect(Data(body.json.readableBytesView) == (try JSONResponse.encoder.encode(body)))
    }
}
