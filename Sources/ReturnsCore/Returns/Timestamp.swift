import Foundation

/// Points in time as people type them: an ISO 8601 timestamp (`2026-11-02T10:00:00Z`) or a date
/// (`2026-11-02`, midnight UTC).
public enum Timestamp {
    public static func parse(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return day.date(from: text)
    }
}
