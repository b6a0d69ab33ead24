import Foundation
import ReturnsCore
import Testing

@Suite("Timestamps as people type them")
struct TimestampTests {
    @Test("an ISO 8601 timestamp, or a date at midnight UTC; anything else is nil")
    func parse() {
        #expect(Timestamp.parse("2026-11-02T10:00:00Z")?.timeIntervalSince1970 == 1_793_613_600)
        #expect(Timestamp.parse("2026-11-02")?.timeIntervalSince1970 == 1_793_577_600)
        #expect(Timestamp.parse("02.11.2026") == nil)
        #expect(Timestamp.parse("") == nil)
    }
}
