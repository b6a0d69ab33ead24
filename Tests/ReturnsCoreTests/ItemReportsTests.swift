@testable import ReturnsCore
import Testing

@Suite("Item reports from partners")
struct ItemReportsTests {
    struct ReceiptLine: Hashable {
        var line: Int
        var quantity: Int
    }

    struct InspectionLine: Hashable {
        var line: Int?
        var grade: Grade
        var disposition: Disposition?
        var reason: String?
    }

    static func receipts(_ data: [String: JSONValue]) throws -> [ReceiptLine]? {
        try ItemReports.receipts(in: data)?.map { ReceiptLine(line: $0.line, quantity: $0.quantity) }
    }

    static func inspections(_ data: [String: JSONValue]) throws -> [InspectionLine] {
        try ItemReports.inspections(in: data).map {
            InspectionLine(line: $0.line, grade: $0.grade, disposition: $0.disposition, reason: $0.dispositionReason)
        }
    }

    static func entry(_ fields: [String: JSONValue]) -> JSONValue { .object(fields) }

    // MARK: - Receipts

    @Test("a receipt without an item list means everything arrived")
    func receiptWithoutItems() throws {
        #expect(try Self.receipts([:]) == nil)
        #expect(try Self.receipts(["tracking_number": .string("1Z999")]) == nil)
    }

    @Test("a receipt lists how many of each line arrived, in the partner's order")
    func receiptList() throws {
        let data: [String: JSONValue] = [
            "items": .array([
                Self.entry(["line": .number(2), "quantity": .number(3)]),
                Self.entry(["line": .number(1), "quantity": .number(0), "note": .string("box crushed")]),
            ])
        ]
        #expect(try Self.receipts(data) == [ReceiptLine(line: 2, quantity: 3), ReceiptLine(line: 1, quantity: 0)])
    }

    @Test("a receipt of nothing at all is refused: it would move the return on with nothing to inspect")
    func zeroReceipt() {
        let data: [String: JSONValue] = ["items": .array([Self.entry(["line": .number(1), "quantity": .number(0)])])]
        #expect {
            try Self.receipts(data)
        } throws: { error in
            (error as? ItemReportError)?.field == "items" && "\(error)".contains("every quantity is 0")
        }
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var name: String
        var data: [String: JSONValue]
        var field: String

        var testDescription: String { name }

        static func items(_ name: String, _ entries: [JSONValue], field: String) -> Malformed {
            Malformed(name: name, data: ["items": .array(entries)], field: field)
        }
    }

    static let malformedReceipts: [Malformed] = [
        Malformed(name: "items is a string", data: ["items": .string("all")], field: "items"),
        Malformed(name: "items is an object", data: ["items": .object(["line": .number(1)])], field: "items"),
        Malformed(name: "items is null", data: ["items": .null], field: "items"),
        .items("items is an empty list", [], field: "items"),
        .items("an entry is a number", [.number(1)], field: "items[0]"),
        .items(
            "the second entry is a list", [.object(["line": .number(1), "quantity": .number(1)]), .array([])],
            field: "items[1]"),
        .items("line 0", [.object(["line": .number(0), "quantity": .number(1)])], field: "items[0].line"),
        .items("line missing", [.object(["quantity": .number(1)])], field: "items[0].line"),
        .items("line as text", [.object(["line": .string("1"), "quantity": .number(1)])], field: "items[0].line"),
        .items("line 1.5", [.object(["line": .number(1.5), "quantity": .number(1)])], field: "items[0].line"),
        .items("quantity -1", [.object(["line": .number(1), "quantity": .number(-1)])], field: "items[0].quantity"),
        .items("quantity 1.5", [.object(["line": .number(1), "quantity": .number(1.5)])], field: "items[0].quantity"),
        .items("quantity missing", [.object(["line": .number(1)])], field: "items[0].quantity"),
        .items(
            "an absurd quantity", [.object(["line": .number(1), "quantity": .number(1e12)])],
            field: "items[0].quantity"),
    ]

    @Test("a malformed receipt is refused, naming the field", arguments: ItemReportsTests.malformedReceipts)
    func malformedReceipt(_ example: Malformed) {
        let error = #expect(throws: ItemReportError.self) { try ItemReports.receipts(in: example.data) }
        #expect(error?.field == example.field, "\(String(describing: error))")
        #expect(error?.reason.isEmpty == false)
    }

    @Test("a refused receipt says what was expected")
    func receiptErrorText() {
        let error = #expect(throws: ItemReportError.self) {
            try ItemReports.receipts(in: ["items": .array([Self.entry(["line": .number(1), "quantity": .number(-1)])])])
        }
        #expect(error?.description == "items[0].quantity: a whole number, 0 or more")
    }

    // MARK: - Inspections

    @Test("an inspection without an item list grades every line with its one grade", arguments: Grade.allCases)
    func overallGrade(grade: Grade) throws {
        #expect(try Self.inspections(["grade": .string(grade.rawValue)]) == [InspectionLine(grade: grade)])
    }

    @Test("an inspection lists a grade per line, with an optional disposition and its reason")
    func inspectionList() throws {
        let data: [String: JSONValue] = [
            "items": .array([
                Self.entry(["line": .number(1), "grade": .string("A")]),
                Self.entry([
                    "line": .number(2), "grade": .string("C"), "disposition": .string("liquidate"),
                    "disposition_reason": .string("refurbishing costs more than it is worth"),
                ]),
                Self.entry([
                    "line": .number(3), "grade": .string("wrong_item"), "disposition": .string("return_to_vendor"),
                ]),
            ]),
            // An overall grade next to a list is not used: the list says it line by line.
            "grade": .string("X"),
        ]
        #expect(
            try Self.inspections(data) == [
                InspectionLine(line: 1, grade: .a),
                InspectionLine(
                    line: 2, grade: .c, disposition: .liquidate, reason: "refurbishing costs more than it is worth"),
                InspectionLine(line: 3, grade: .wrongItem, disposition: .returnToVendor),
            ])
    }

    static let malformedInspections: [Malformed] = [
        Malformed(name: "no list and no grade", data: [:], field: "grade"),
        Malformed(name: "no list and an unknown grade", data: ["grade": .string("E")], field: "grade"),
        Malformed(name: "no list and a lowercase grade", data: ["grade": .string("b")], field: "grade"),
        Malformed(name: "no list and a numeric grade", data: ["grade": .number(1)], field: "grade"),
        .items("an entry is a string", [.string("A")], field: "items[0]"),
        .items("line 0", [.object(["line": .number(0), "grade": .string("A")])], field: "items[0].line"),
        .items("line -3", [.object(["line": .number(-3), "grade": .string("A")])], field: "items[0].line"),
        .items(
            "the second entry has an unknown grade",
            [
                .object(["line": .number(1), "grade": .string("A")]),
                .object(["line": .number(2), "grade": .string("F")]),
            ],
            field: "items[1].grade"),
        .items("grade missing", [.object(["line": .number(1)])], field: "items[0].grade"),
        .items(
            "an unknown disposition",
            [.object(["line": .number(1), "grade": .string("D"), "disposition": .string("landfill")])],
            field: "items[0].disposition"),
        .items(
            "a disposition that is not text",
            [.object(["line": .number(1), "grade": .string("D"), "disposition": .bool(true)])],
            field: "items[0].disposition"),
    ]

    @Test("a line whose received units are all graded, or named twice, is refused; a new unit may be graded")
    func gradedOnce() throws {
        let lines = [ItemReports.Line(line: 1, received: 2, graded: 2), ItemReports.Line(line: 2, received: 2, graded: 1)]
        func check(_ inspections: [ItemReports.Inspection]) throws(ItemReportError) {
            try ItemReports.check(inspections, against: lines, defaultDisposition: { _ in .restock })
        }
        func grade(_ line: Int?) -> ItemReports.Inspection {
            .init(line: line, grade: .a, disposition: nil, dispositionReason: nil)
        }
        #expect(throws: ItemReportError.self) { try check([grade(1)]) }
        #expect(throws: ItemReportError.self) { try check([grade(2), grade(2)]) }
        try check([grade(2)])
        try check([grade(nil)])
        let allGraded = [ItemReports.Line(line: 1, received: 1, graded: 1)]
        #expect(throws: ItemReportError.self) {
            try ItemReports.check([grade(nil)], against: allGraded, defaultDisposition: { _ in .restock })
        }
    }

    @Test("a malformed inspection is refused, naming the field", arguments: ItemReportsTests.malformedInspections)
    func malformedInspection(_ example: Malformed) {
        let error = #expect(throws: ItemReportError.self) { try ItemReports.inspections(in: example.data) }
        #expect(error?.field == example.field, "\(String(describing: error))")
        #expect(error?.reason.isEmpty == false)
    }

    @Test("a refused grade lists the grades there are")
    func gradeErrorText() {
        let error = #expect(throws: ItemReportError.self) { try ItemReports.inspections(in: ["grade": .string("E")]) }
        #expect(error?.description == "grade: one of A, B, C, D, X, wrong_item, empty_box")
    }

    @Test("an inspection whose items is not a list is refused, naming items")
    func inspectionItemsNotAList() {
        let error = #expect(throws: ItemReportError.self) {
            try ItemReports.inspections(in: ["items": .string("all fine")])
        }
        #expect(error?.field == "items")
        #expect(throws: ItemReportError.self) {
            try ItemReports.inspections(in: ["items": .object(["line": .number(1)]), "grade": .string("A")])
        }
    }

    @Test("an inspection with an empty item list is refused, naming items")
    func inspectionEmptyList() {
        let error = #expect(throws: ItemReportError.self) { try ItemReports.inspections(in: ["items": .array([])]) }
        #expect(error?.field == "items")
    }
}
