import Foundation

/// `--from` and `--to` of a reconciliation: dates (whole days, UTC) or ISO 8601 timestamps.
public enum ReconcilePeriod {
    /// The instant `text` starts at; `endOfDay` moves a bare date to the start of the next day, so `--to 2025-11-30`
    /// includes the 30th.
    public static func parse(_ text: String, option: String, endOfDay: Bool = false) throws(ReconcileError) -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        if trimmed.count == 10, let date = day.date(from: trimmed) {
            return endOfDay ? date.addingTimeInterval(86_400) : date
        }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: trimmed) { return date }
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: trimmed) { return date }
        throw .usage("\(option) '\(text)' is not a date; give one like 2025-11-01 or 2025-11-01T08:00:00Z")
    }
}
