import Foundation

/// What a partner reports about items, read from event data.
public enum ItemReports {
    /// One receipt line: how many of a return line arrived.
    public struct Receipt: Sendable, Hashable {
        public var line: Int
        public var quantity: Int
    }

    /// One inspected line: its grade and where it goes.
    public struct Inspection: Sendable, Hashable {
        public var line: Int?
        public var grade: Grade
        public var disposition: Disposition?
        public var dispositionReason: String?
    }

    /// `items: [{line, quantity}]`; nil when the data lists no items (everything arrived).
    public static func receipts(in data: [String: JSONValue]) throws(ItemReportError) -> [Receipt]? {
        guard let items = data["items"] else { return nil }
        guard case .array(let entries) = items, !entries.isEmpty else {
            throw .init(field: "items", reason: "a non-empty list of {line, quantity}")
        }
        var receipts: [Receipt] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let fields) = entry else {
                throw .init(field: "items[\(index)]", reason: "an object like {\"line\": 1, \"quantity\": 2}")
            }
            let line = try wholeNumber(fields["line"], "items[\(index)].line", minimum: 1)
            let quantity = try wholeNumber(fields["quantity"], "items[\(index)].quantity", minimum: 0)
            receipts.append(Receipt(line: line, quantity: quantity))
        }
        // A receipt says something arrived; one of nothing would move the return on to inspection all the same.
        guard receipts.contains(where: { $0.quantity > 0 }) else {
            throw .init(field: "items", reason: "every quantity is 0; send the receipt once something has arrived")
        }
        return receipts
    }

    /// `items: [{line, grade, disposition, disposition_reason}]`, or one `grade` for every line.
    public static func inspections(in data: [String: JSONValue]) throws(ItemReportError) -> [Inspection] {
        guard let listed = data["items"] else {
            guard let text = data["grade"]?.stringValue, let grade = Grade(rawValue: text) else {
                throw .init(field: "grade", reason: "one of \(Grade.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return [Inspection(line: nil, grade: grade, disposition: nil, dispositionReason: nil)]
        }
        guard case .array(let entries) = listed, !entries.isEmpty else {
            throw .init(field: "items", reason: "a non-empty list of {line, grade, disposition, disposition_reason}")
        }
        var inspections: [Inspection] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let fields) = entry else {
                throw .init(field: "items[\(index)]", reason: "an object like {\"line\": 1, \"grade\": \"B\"}")
            }
            let line = try wholeNumber(fields["line"], "items[\(index)].line", minimum: 1)
            guard let text = fields["grade"]?.stringValue, let grade = Grade(rawValue: text) else {
                throw .init(
                    field: "items[\(index)].grade", reason: "one of \(Grade.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var disposition: Disposition?
            if let value = fields["disposition"] {
                guard let text = value.stringValue, let parsed = Disposition(rawValue: text) else {
                    throw .init(
                        field: "items[\(index)].disposition",
                        reason: "one of \(Disposition.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                disposition = parsed
            }
            let reason = fields["disposition_reason"]?.stringValue
            inspections.append(Inspection(line: line, grade: grade, disposition: disposition, dispositionReason: reason))
        }
        return inspections
    }

    /// A return line as a report sees it: its number, how many of it arrived, and how many of those are graded.
    public struct Line: Sendable, Hashable {
        public var line: Int
        public var received: Int
        /// Units an earlier inspection graded: judged, so not graded again without a review.
        public var graded: Int

        public init(line: Int, received: Int, graded: Int = 0) {
            self.line = line
            self.received = received
            self.graded = graded
        }
    }

    /// Checks a whole inspection report against the return's lines before any of it is applied: every line named
    /// exists, once, and has units that arrived and are not graded yet (a graded unit is judged: grading it again
    /// needs a review, not another report), and a disposition other than the policy's default for its grade gives
    /// a reason.
    public static func check(
        _ inspections: [Inspection], against lines: [Line], defaultDisposition: (Grade) -> Disposition
    ) throws(ItemReportError) {
        var named: Set<Int> = []
        for inspection in inspections {
            if let number = inspection.line {
                guard let line = lines.first(where: { $0.line == number }) else {
                    throw .init(
                        field: "items", reason: "the return has no line \(number); its lines are 1 to \(lines.count)")
                }
                guard named.insert(number).inserted else {
                    throw .init(field: "items (line \(number))", reason: "the line is named twice; grade it once")
                }
                guard line.received > 0 else {
                    throw .init(
                        field: "items (line \(number))", reason: "nothing of this line was received, so it cannot be graded")
                }
                guard line.received > line.graded else {
                    throw .init(
                        field: "items (line \(number))",
                        reason: "all \(line.received) received unit\(line.received == 1 ? " is" : "s are") graded already; "
                            + "a graded unit is not graded again without a review")
                }
            } else if !lines.contains(where: { $0.received > $0.graded }) {
                throw .init(
                    field: "grade",
                    reason: "no received unit is left to grade: every one is graded already, and a graded unit is "
                        + "not graded again without a review")
            }
            let standard = defaultDisposition(inspection.grade)
            if let chosen = inspection.disposition, chosen != standard,
                inspection.dispositionReason?.trimmingCharacters(in: .whitespaces).isEmpty != false
            {
                throw .init(
                    field: "items (line \(inspection.line ?? 0)).disposition_reason",
                    reason: "overriding the default disposition \(standard.rawValue) with \(chosen.rawValue) needs a reason")
            }
        }
    }

    private static func wholeNumber(_ value: JSONValue?, _ field: String, minimum: Int) throws(ItemReportError) -> Int {
        guard case .number(let number)? = value, number.rounded() == number, number >= Double(minimum),
            number <= 1_000_000
        else {
            throw .init(field: field, reason: "a whole number, \(minimum) or more")
        }
        return Int(number)
    }
}

/// Why a partner's item report was refused, naming the field.
public struct ItemReportError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public var description: String { "\(field): \(reason)" }
}
