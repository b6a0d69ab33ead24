import Foundation
import NIOCore
import ReturnsStore
import Testing

@testable import ReturnsReconcile

/// Every kind of bad input the issue lists, with the exact message a person sees (FILE:LINE:COLUMN: message).
@Suite("Bad settlement and manifest lines are refused with where and why")
struct BadInputTests {
    static let settlementHeader = "refund_id,processor_reference,amount,currency,status,settled_at\n"
    static let id = "6f1c2a44-9b1e-4c55-8d0a-1f2e3d4c5b6a"

    func readSettlement(_ text: String, preset: SettlementLayout.Preset = .standard) throws -> Int {
        let reader = try SettlementReader(
            path: try temporaryFile(text), name: "s.csv", layout: SettlementLayout(preset: preset))
        var row = CopyText(capacity: 1024)
        var count = 0
        while try reader.next(into: &row) { count += 1 }
        return count
    }

    func readManifest(_ text: String) throws -> Int {
        let reader = try ManifestReader(path: try temporaryFile(text), name: "m.csv")
        var count = 0
        while try reader.next() != nil { count += 1 }
        return count
    }

    @Test(
        "settlement lines",
        arguments: [
            (
                "\(id),p1,12.345,EUR,settled,2025-11-03T10:00:00Z\n",
                "s.csv:2:3: amount '12.345' has 3 decimals, but EUR has 2 decimals"
            ),
            (
                "\(id),p1,1500.5,JPY,settled,2025-11-03T10:00:00Z\n",
                "s.csv:2:3: amount '1500.5' has 1 decimal, but JPY has no decimals"
            ),
            (
                "\(id),p1,12.00,XXY,settled,2025-11-03T10:00:00Z\n",
                "s.csv:2:4: currency 'XXY' is not an ISO 4217 currency code this engine knows (like EUR, USD, JPY)"
            ),
            (
                "\(id),p1,12.0O,EUR,settled,2025-11-03T10:00:00Z\n",
                "s.csv:2:3: amount '12.0O' is not a decimal amount; write it like 19.99"
            ),
            (
                "\(id),p1,12.00,EUR,settled,2025-13-03T10:00:00Z\n",
                "s.csv:2:6: settled_at '2025-13-03T10:00:00Z' is not a timestamp; write it like 2025-11-03T14:05:00Z (ISO 8601, UTC unless an offset is given)"
            ),
            (
                "\(id),p1,12.00,EUR,settled,03/11/2025\n",
                "s.csv:2:6: settled_at '03/11/2025' is not a timestamp; write it like 2025-11-03T14:05:00Z (ISO 8601, UTC unless an offset is given)"
            ),
            (
                "\(id),p1,12.00,EUR,paid,2025-11-03T10:00:00Z\n",
                "s.csv:2:5: status 'paid' is not one of settled, failed, reversed"
            ),
            (
                "\(id),p1,\"12.00,EUR,settled,2025-11-03T10:00:00Z\n",
                "s.csv:2:3: unterminated quote: the field opened here has no closing quote before the end of the file"
            ),
        ])
    func settlement(line: String, message: String) throws {
        #expect(throws: ReconcileError.self) { try readSettlement(Self.settlementHeader + line) }
        do {
            _ = try readSettlement(Self.settlementHeader + line)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test("a missing required column names it and what the header has")
    func missingColumn() throws {
        do {
            _ = try readSettlement("refund_id,amount,currency,status,settled_at\n")
            Issue.record("accepted a header without processor_reference")
        } catch {
            #expect(
                "\(error)"
                    == "s.csv:1:6: missing required column 'processor_reference' for processor_reference; the header has: refund_id, amount, currency, status, settled_at"
            )
        }
    }

    @Test("surrounding spaces in numbers are fine; JPY has no decimals; amounts are exact minor units")
    func exactAmounts() throws {
        let text =
            Self.settlementHeader + "\(Self.id),p1, 1500 ,JPY,settled,2025-11-03\n"
            + "\(Self.id),p2,  0.10 ,eur,settled,2025-11-03 10:00:00\n"
            + "\(Self.id),p3,1.999999999,BHD,failed,2025-11-03T10:00:00.5+01:00\n"
        #expect(throws: ReconcileError.self) { try readSettlement(text) }
        #expect(try readSettlement(Self.settlementHeader + "\(Self.id),p1, 1500 ,JPY,settled,2025-11-03\n") == 1)
        let reader = try SettlementReader(
            path: try temporaryFile(Self.settlementHeader + "\(Self.id),p2,  0.10 ,eur,settled,2025-11-03 10:00:00\n"),
            layout: SettlementLayout(preset: .standard))
        var row = CopyText(capacity: 256)
        #expect(try reader.next(into: &row))
        let copied = String(decoding: row.bytes, as: UTF8.self)
        #expect(copied == "2\t\(Self.id)\t\(Self.id)\tp2\t10\tEUR\tsettled\t2025-11-03 10:00:00\n")
    }

    static let manifestHeader = "return_id,sku,quantity_received,grade,disposition,received_at,inspected_at\n"

    @Test(
        "manifest lines",
        arguments: [
            (
                "\(id),SHOE,abc,A,restock,2025-11-03T10:00:00Z,2025-11-04T10:00:00Z\n",
                "m.csv:2:3: quantity_received 'abc' is not a whole number; give one like 2"
            ),
            (
                "\(id),SHOE,-1,A,restock,2025-11-03T10:00:00Z,2025-11-04T10:00:00Z\n",
                "m.csv:2:3: quantity_received '-1' is negative; give a whole number, 0 or more"
            ),
            (
                "\(id),SHOE,1,Q,restock,2025-11-03T10:00:00Z,2025-11-04T10:00:00Z\n",
                "m.csv:2:4: grade 'Q' is not one of A, B, C, D, X, wrong_item, empty_box"
            ),
            (
                "\(id),SHOE,1,A,burn,2025-11-03T10:00:00Z,2025-11-04T10:00:00Z\n",
                "m.csv:2:5: disposition 'burn' is not one of restock, open_box, refurbish, liquidate, return_to_vendor, donate, recycle, destroy"
            ),
            (
                "\(id),SHOE,1,A,restock,yesterday,2025-11-04T10:00:00Z\n",
                "m.csv:2:6: received_at 'yesterday' is not a timestamp; write it like 2025-11-03T14:05:00Z (ISO 8601, UTC unless an offset is given)"
            ),
            (
                "\(id),SHOE,1,A,restock,2025-11-03T10:00:00Z,2025-02-30T10:00:00Z\n",
                "m.csv:2:7: inspected_at '2025-02-30T10:00:00Z' is not a timestamp; write it like 2025-11-03T14:05:00Z (ISO 8601, UTC unless an offset is given)"
            ),
        ])
    func manifest(line: String, message: String) throws {
        do {
            _ = try readManifest(Self.manifestHeader + line)
            Issue.record("accepted \(line)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test("a manifest without a required column is refused before any line")
    func manifestMissingColumn() throws {
        do {
            _ = try readManifest("return_id,sku,grade,disposition,received_at,inspected_at\n")
            Issue.record("accepted a manifest without quantity_received")
        } catch {
            #expect(
                "\(error)"
                    == "m.csv:1:7: missing required column 'quantity_received'; a manifest needs return_id, sku, quantity_received, grade, disposition, received_at, inspected_at"
            )
        }
    }

    @Test("spaces around a quantity are fine; an uninspected item leaves grade, disposition and inspected_at empty")
    func lenientManifest() throws {
        #expect(try readManifest(Self.manifestHeader + "\(Self.id),SHOE, 2 ,,,2025-11-03T10:00:00Z,\n") == 1)
    }
}
