import Foundation

/// The named preconditions a transition may require of its event data.
public enum Guard: String, Sendable, CaseIterable {
    /// The carrier's tracking number is given (`tracking_number`).
    case hasTrackingNumber = "has_tracking_number"
    /// An overall grade is given (`grade`: A, B, C, D, X, wrong_item or empty_box).
    case hasGrade = "has_grade"
    /// A human-readable reason is given (`reason`).
    case hasReason = "has_reason"

    static let grades: Set<String> = ["A", "B", "C", "D", "X", "wrong_item", "empty_box"]

    /// Returns why `data` fails this guard, or nil when it passes.
    public func failure(for data: [String: JSONValue]) -> String? {
        switch self {
        case .hasTrackingNumber:
            return data["tracking_number"]?.stringValue?.trimmingCharacters(in: .whitespaces).isEmpty == false
                ? nil : "give a non-empty \"tracking_number\" in the event data"
        case .hasGrade:
            let known = Guard.grades.sorted().joined(separator: ", ")
            // Either one grade for everything, or a grade on every listed item.
            if case .array(let items)? = data["items"], !items.isEmpty {
                for item in items {
                    guard case .object(let fields) = item, let grade = fields["grade"]?.stringValue else {
                        return "every entry of \"items\" needs a \"grade\" (one of \(known))"
                    }
                    if !Guard.grades.contains(grade) { return "grade '\(grade)' is not one of \(known)" }
                }
                return nil
            }
            guard let grade = data["grade"]?.stringValue else {
                return "give \"grade\" in the event data (one of \(known))"
            }
            return Guard.grades.contains(grade) ? nil : "grade '\(grade)' is not one of \(known)"
        case .hasReason:
            return data["reason"]?.stringValue?.trimmingCharacters(in: .whitespaces).isEmpty == false
                ? nil : "give a non-empty \"reason\" in the event data"
        }
    }
}
