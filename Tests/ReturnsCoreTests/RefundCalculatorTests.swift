@testable import ReturnsCore
import Testing

@Suite("Refund calculator")
struct RefundCalculatorTests {
    /// The shipped policy's refund rules, written out so these tests do not move when the retailer edits
    /// policy.yaml (PolicyLoaderTests pins the file to the same values).
    static let policy = ReturnPolicy(
        reasonCodes: ["damaged", "wrong_item_sent", "not_as_described", "doesnt_fit", "changed_mind", "arrived_late"],
        freeLabelReasons: ["damaged", "wrong_item_sent", "not_as_described"],
        restockingFees: [
            .a: .init(percent: 0),
            .b: .init(percent: 5, minimum: ["EUR": 100, "JPY": 150], maximum: ["EUR": 2_000, "JPY": 3_000]),
            .c: .init(percent: 15, minimum: ["EUR": 200, "JPY": 300], maximum: ["EUR": 6_000, "JPY": 9_000]),
            .d: .init(percent: 30),
            .x: .init(percent: 100),
        ],
        labelCost: ["EUR": 595, "JPY": 800])

    /// A deduction as the customer's statement shows it.
    struct Deduction: Hashable, Sendable, CustomStringConvertible {
        var kind: RefundBreakdown.Deduction.Kind
        var line: Int?
        var amount: Int64

        static func fee(line: Int, _ amount: Int64) -> Deduction {
            .init(kind: .restockingFee, line: line, amount: amount)
        }
        static func label(_ amount: Int64) -> Deduction { .init(kind: .labelCost, line: nil, amount: amount) }

        var description: String { "\(kind.rawValue)(line \(line.map(String.init) ?? "-")): \(amount)" }
    }

    /// A refunded line: how many units, for how much before deductions.
    struct Refunded: Hashable, Sendable {
        var line: Int
        var quantity: Int
        var gross: Int64
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var currency = "EUR"
        var labelAlreadyCharged = false
        var requiresReceipt = true
        var lines: [RefundLine]
        var refunded: [Refunded]
        var deductions: [Deduction]
        var gross: Int64
        var net: Int64

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "full receipt, grade A, changed mind: full price less the EUR 5.95 label",
            lines: [.init(line: 1, unitPriceMinor: 4_999, quantity: 1, received: 1, grade: .a, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 1, gross: 4_999)], deductions: [.label(595)], gross: 4_999, net: 4_404),
        Case(
            name: "grade A, damaged: the retailer pays the label",
            lines: [.init(line: 1, unitPriceMinor: 4_999, quantity: 2, received: 2, grade: .a, reason: "damaged")],
            refunded: [.init(line: 1, quantity: 2, gross: 9_998)], deductions: [], gross: 9_998, net: 9_998),
        Case(
            name: "grade B, 5% of EUR 10.00 is raised to the EUR 1.00 minimum",
            lines: [.init(line: 1, unitPriceMinor: 1_000, quantity: 1, received: 1, grade: .b, reason: "damaged")],
            refunded: [.init(line: 1, quantity: 1, gross: 1_000)], deductions: [.fee(line: 1, 100)], gross: 1_000,
            net: 900),
        Case(
            name: "grade B, 5% of EUR 29.90 is EUR 1.50, rounded half up",
            lines: [.init(line: 1, unitPriceMinor: 2_990, quantity: 1, received: 1, grade: .b, reason: "damaged")],
            refunded: [.init(line: 1, quantity: 1, gross: 2_990)], deductions: [.fee(line: 1, 150)], gross: 2_990,
            net: 2_840),
        Case(
            name: "grade B, 5% of EUR 500.00 is cut to the EUR 20.00 maximum",
            lines: [.init(line: 1, unitPriceMinor: 25_000, quantity: 2, received: 2, grade: .b, reason: "damaged")],
            refunded: [.init(line: 1, quantity: 2, gross: 50_000)], deductions: [.fee(line: 1, 2_000)], gross: 50_000,
            net: 48_000),
        Case(
            name: "grade B on a EUR 0.50 item: the EUR 1.00 minimum is cut to the item's price",
            lines: [.init(line: 1, unitPriceMinor: 50, quantity: 1, received: 1, grade: .b, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 1, gross: 50)], deductions: [.fee(line: 1, 50)], gross: 50, net: 0),
        Case(
            name: "grade C, 15% restocking fee and the label for a customer who changed their mind",
            lines: [
                .init(line: 1, unitPriceMinor: 10_000, quantity: 1, received: 1, grade: .c, reason: "changed_mind")
            ],
            refunded: [.init(line: 1, quantity: 1, gross: 10_000)], deductions: [.fee(line: 1, 1_500), .label(595)],
            gross: 10_000, net: 7_905),
        Case(
            name: "grade D, 30% with no minimum or maximum",
            lines: [.init(line: 1, unitPriceMinor: 333, quantity: 3, received: 3, grade: .d, reason: "damaged")],
            refunded: [.init(line: 1, quantity: 3, gross: 999)], deductions: [.fee(line: 1, 300)], gross: 999, net: 699),
        Case(
            name: "grade X keeps 100%, so that line nets nothing while the other is refunded",
            lines: [
                .init(line: 1, unitPriceMinor: 2_500, quantity: 1, received: 1, grade: .x, reason: "damaged"),
                .init(line: 2, unitPriceMinor: 1_200, quantity: 1, received: 1, grade: .a, reason: "damaged"),
            ],
            refunded: [.init(line: 1, quantity: 1, gross: 2_500), .init(line: 2, quantity: 1, gross: 1_200)],
            deductions: [.fee(line: 1, 2_500)], gross: 3_700, net: 1_200),
        Case(
            name: "a wrong item and an empty box refund nothing, not even a negative label",
            lines: [
                .init(
                    line: 1, unitPriceMinor: 8_000, quantity: 1, received: 1, grade: .wrongItem, reason: "changed_mind"),
                .init(line: 2, unitPriceMinor: 6_000, quantity: 2, received: 2, grade: .emptyBox, reason: "doesnt_fit"),
            ],
            refunded: [], deductions: [], gross: 0, net: 0),
        Case(
            name: "a wrong item next to a good one: only the good one is refunded, once less the label",
            lines: [
                .init(line: 1, unitPriceMinor: 2_000, quantity: 1, received: 1, grade: .a, reason: "changed_mind"),
                .init(
                    line: 2, unitPriceMinor: 9_000, quantity: 1, received: 1, grade: .wrongItem, reason: "changed_mind"),
            ],
            refunded: [.init(line: 1, quantity: 1, gross: 2_000)], deductions: [.label(595)], gross: 2_000, net: 1_405),
        Case(
            name: "an item received but not yet graded is not refunded",
            lines: [
                .init(line: 1, unitPriceMinor: 2_000, quantity: 1, received: 1, grade: nil, reason: "changed_mind")
            ],
            refunded: [], deductions: [], gross: 0, net: 0),
        Case(
            name: "partial receipt: 2 of 3 arrived, two units are refunded and the label is charged",
            lines: [.init(line: 1, unitPriceMinor: 1_500, quantity: 3, received: 2, grade: .a, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 2, gross: 3_000)], deductions: [.label(595)], gross: 3_000, net: 2_405),
        Case(
            name: "the third unit arrives later: it alone is refunded, without a second label",
            labelAlreadyCharged: true,
            lines: [
                .init(
                    line: 1, unitPriceMinor: 1_500, quantity: 3, received: 3, alreadyRefunded: 2, grade: .a,
                    reason: "changed_mind")
            ],
            refunded: [.init(line: 1, quantity: 1, gross: 1_500)], deductions: [], gross: 1_500, net: 1_500),
        Case(
            name: "everything already refunded: nothing more is due",
            labelAlreadyCharged: true,
            lines: [
                .init(
                    line: 1, unitPriceMinor: 1_500, quantity: 3, received: 3, alreadyRefunded: 3, grade: .a,
                    reason: "changed_mind")
            ],
            refunded: [], deductions: [], gross: 0, net: 0),
        Case(
            name: "one damaged line waives the label for the whole return",
            lines: [
                .init(line: 1, unitPriceMinor: 2_000, quantity: 1, received: 1, grade: .a, reason: "changed_mind"),
                .init(line: 2, unitPriceMinor: 3_000, quantity: 1, received: 1, grade: .a, reason: "damaged"),
            ],
            refunded: [.init(line: 1, quantity: 1, gross: 2_000), .init(line: 2, quantity: 1, gross: 3_000)],
            deductions: [], gross: 5_000, net: 5_000),
        Case(
            name: "several lines: a fee per graded line and one label for the return",
            lines: [
                .init(line: 1, unitPriceMinor: 4_000, quantity: 1, received: 1, grade: .b, reason: "doesnt_fit"),
                .init(line: 2, unitPriceMinor: 2_000, quantity: 2, received: 2, grade: .c, reason: "changed_mind"),
                .init(line: 3, unitPriceMinor: 1_000, quantity: 1, received: 1, grade: .a, reason: "doesnt_fit"),
            ],
            refunded: [
                .init(line: 1, quantity: 1, gross: 4_000), .init(line: 2, quantity: 2, gross: 4_000),
                .init(line: 3, quantity: 1, gross: 1_000),
            ],
            deductions: [.fee(line: 1, 200), .fee(line: 2, 600), .label(595)], gross: 9_000, net: 7_605),
        Case(
            name: "keep-it: what was ordered is refunded, nothing received, no grade, no fee, no label",
            requiresReceipt: false,
            lines: [.init(line: 1, unitPriceMinor: 450, quantity: 2, received: 0, grade: nil, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 2, gross: 900)], deductions: [], gross: 900, net: 900),
        Case(
            name: "JPY: 5% of 12000 yen and the 800 yen label, in whole yen",
            currency: "JPY",
            lines: [
                .init(line: 1, unitPriceMinor: 12_000, quantity: 1, received: 1, grade: .b, reason: "changed_mind")
            ],
            refunded: [.init(line: 1, quantity: 1, gross: 12_000)], deductions: [.fee(line: 1, 600), .label(800)],
            gross: 12_000, net: 10_600),
        Case(
            name: "JPY: 5% of 1000 yen is raised to the 150 yen minimum",
            currency: "JPY",
            lines: [.init(line: 1, unitPriceMinor: 1_000, quantity: 1, received: 1, grade: .b, reason: "damaged")],
            refunded: [.init(line: 1, quantity: 1, gross: 1_000)], deductions: [.fee(line: 1, 150)], gross: 1_000,
            net: 850),
        Case(
            name: "the label costs more than the EUR 3.00 refund: only EUR 3.00 is deducted, net is zero",
            lines: [.init(line: 1, unitPriceMinor: 300, quantity: 1, received: 1, grade: .a, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 1, gross: 300)], deductions: [.label(300)], gross: 300, net: 0),
        Case(
            name: "the label takes only what the restocking fee left",
            lines: [.init(line: 1, unitPriceMinor: 500, quantity: 1, received: 1, grade: .b, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 1, gross: 500)], deductions: [.fee(line: 1, 100), .label(400)],
            gross: 500, net: 0),
        Case(
            name: "nothing left after a grade X fee: no label deduction at all",
            lines: [.init(line: 1, unitPriceMinor: 2_500, quantity: 1, received: 1, grade: .x, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 1, gross: 2_500)], deductions: [.fee(line: 1, 2_500)], gross: 2_500,
            net: 0),
        Case(
            name: "a currency the policy has no label cost for pays no label",
            currency: "USD",
            lines: [.init(line: 1, unitPriceMinor: 2_000, quantity: 1, received: 1, grade: .a, reason: "changed_mind")],
            refunded: [.init(line: 1, quantity: 1, gross: 2_000)], deductions: [], gross: 2_000, net: 2_000),
    ]

    @Test("a refund itemizes gross, each deduction and net", arguments: RefundCalculatorTests.cases)
    func refund(_ example: Case) throws {
        let currency = try Currency(code: example.currency)
        let breakdown = Self.policy.refund(
            for: example.lines, currency: currency, labelAlreadyCharged: example.labelAlreadyCharged,
            requiresReceipt: example.requiresReceipt)
        #expect(breakdown.currency == example.currency)
        #expect(
            breakdown.lines.map { Refunded(line: $0.line, quantity: $0.quantity, gross: $0.grossMinor) }
                == example.refunded)
        #expect(breakdown.grossMinor == example.gross)
        #expect(
            breakdown.deductions.map { Deduction(kind: $0.kind, line: $0.line, amount: $0.amountMinor) }
                == example.deductions)
        #expect(breakdown.netMinor == example.net)
        #expect(breakdown.chargesLabel == example.deductions.contains { $0.kind == .labelCost })
    }

    @Test("the permissive policy refunds every received, graded unit in full")
    func permissivePolicyDeductsNothing() throws {
        let lines = [
            RefundLine(line: 1, unitPriceMinor: 2_500, quantity: 2, received: 2, grade: .x, reason: "anything"),
            RefundLine(line: 2, unitPriceMinor: 100, quantity: 1, received: 1, grade: .c, reason: "anything"),
        ]
        let breakdown = ReturnPolicy.permissive.refund(
            for: lines, currency: try Currency(code: "EUR"), labelAlreadyCharged: false)
        #expect(breakdown.grossMinor == 5_100)
        #expect(breakdown.deductions.isEmpty)
        #expect(breakdown.netMinor == 5_100)
    }

    @Test("only graded units are paid: a unit written off by an earlier grade is never paid by a later one")
    func writtenOffNeverPaid() throws {
        // Two shoes: the first judged wrong_item (written off), the second arrives later and is graded A.
        let line = RefundLine(
            line: 1, unitPriceMinor: 8_990, quantity: 2, received: 2, grade: .a, reason: "damaged", graded: 2,
            writtenOff: 1)
        let breakdown = ReturnPolicy.permissive.refund(
            for: [line], currency: try Currency(code: "EUR"), labelAlreadyCharged: true)
        #expect(breakdown.lines.map(\.quantity) == [1])
        #expect(breakdown.netMinor == 8_990)
        // Received but not graded yet: nothing is due for it.
        var ungraded = line
        ungraded.graded = 1
        ungraded.writtenOff = 0
        #expect(
            ReturnPolicy.permissive.refund(for: [ungraded], currency: try Currency(code: "EUR"), labelAlreadyCharged: true)
                .lines.map(\.quantity) == [1])
    }

    @Test("a 0% restocking fee stays free even when the policy gives it a minimum")
    func zeroPercentIgnoresMinimum() throws {
        let policy = ReturnPolicy(
            reasonCodes: ["doesnt_fit"], restockingFees: [.a: .init(percent: 0, minimum: ["EUR": 500])])
        let line = RefundLine(line: 1, unitPriceMinor: 4_000, quantity: 1, received: 1, grade: .a, reason: "doesnt_fit")
        let breakdown = policy.refund(for: [line], currency: try Currency(code: "EUR"), labelAlreadyCharged: false)
        #expect(breakdown.deductions.isEmpty)
        #expect(breakdown.netMinor == 4_000)
    }

    // The fee's minimum and maximum are per refunded line; a line refunded in two parts (partial receipt) gets
    // the clamp applied to each part, so the customer can pay the maximum twice.
    @Test("a line refunded in two parts pays no more restocking fee than if it were refunded at once")
    func splitRefundFee() throws {
        let eur = try Currency(code: "EUR")
        let line = RefundLine(line: 1, unitPriceMinor: 30_000, quantity: 3, received: 3, grade: .b, reason: "damaged")
        let atOnce = Self.policy.refund(for: [line], currency: eur, labelAlreadyCharged: false)
        var first = line
        first.received = 2
        var second = line
        second.alreadyRefunded = 2
        let partOne = Self.policy.refund(for: [first], currency: eur, labelAlreadyCharged: false)
        let partTwo = Self.policy.refund(for: [second], currency: eur, labelAlreadyCharged: true)
        #expect(atOnce.grossMinor == partOne.grossMinor + partTwo.grossMinor)
        #expect(atOnce.netMinor == 88_000)  // EUR 900.00 less the EUR 20.00 maximum fee
        #expect(partOne.netMinor + partTwo.netMinor == atOnce.netMinor)
    }
}

@Suite("Refund calculator properties over generated orders")
struct RefundPropertyTests {
    /// SplitMix64: a tiny seeded generator, so every run checks the same 2,000 orders and a failure reproduces.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Order: CustomStringConvertible {
        var currency: Currency
        var labelAlreadyCharged: Bool
        var requiresReceipt: Bool
        var lines: [RefundLine]

        var description: String {
            let items = lines.map {
                "#\($0.line) \($0.unitPriceMinor)x\($0.quantity) recv \($0.received) done \($0.alreadyRefunded) "
                    + "\($0.grade?.rawValue ?? "ungraded") \($0.reason)"
            }
            return "\(currency) label charged: \(labelAlreadyCharged), receipt: \(requiresReceipt); "
                + items.joined(separator: "; ")
        }
    }

    static let reasons = RefundCalculatorTests.policy.reasonCodes.sorted() + ["not_a_policy_reason"]
    static let grades: [Grade?] = Grade.allCases.map { $0 } + [nil]

    static func order(_ rng: inout SplitMix64) throws -> Order {
        let currency = try Currency(code: Bool.random(using: &rng) ? "EUR" : "JPY")
        // Half the customers give one reason for the whole return, so labels that are not waived occur often.
        let oneReason = Bool.random(using: &rng) ? reasons.randomElement(using: &rng) : nil
        let lines = (1...Int.random(in: 1...6, using: &rng)).map { index in
            // Zero prices, prices under the label cost and prices past the fee maximum all occur.
            let price: Int64 =
                switch Int.random(in: 0..<8, using: &rng) {
                case 0: 0
                case 1: Int64.random(in: 1...1_000, using: &rng)
                default: Int64.random(in: 1...200_000, using: &rng)
                }
            let quantity = Int.random(in: 1...5, using: &rng)
            let received = Int.random(in: 0...quantity, using: &rng)
            return RefundLine(
                line: index, unitPriceMinor: price, quantity: quantity, received: received,
                alreadyRefunded: Int.random(in: 0...received, using: &rng),
                grade: grades.randomElement(using: &rng)!, reason: oneReason ?? reasons.randomElement(using: &rng)!)
        }
        return Order(
            currency: currency, labelAlreadyCharged: Bool.random(using: &rng),
            requiresReceipt: Int.random(in: 0..<4, using: &rng) != 0, lines: lines)
    }

    /// Every rule a refund must keep, as messages; empty when `breakdown` keeps them all.
    static func violations(of breakdown: RefundBreakdown, for order: Order) -> [String] {
        var found: [String] = []
        let deducted = breakdown.deductions.reduce(Int64(0)) { $0 + $1.amountMinor }
        if breakdown.netMinor < 0 { found.append("net \(breakdown.netMinor) is negative") }
        if breakdown.netMinor > breakdown.grossMinor { found.append("net \(breakdown.netMinor) > gross") }
        if deducted != breakdown.grossMinor - breakdown.netMinor {
            found.append("deductions \(deducted) != gross \(breakdown.grossMinor) - net \(breakdown.netMinor)")
        }
        let payable = order.lines.reduce(Int64(0)) { sum, line in
            let units = (order.requiresReceipt ? line.received : line.quantity) - line.alreadyRefunded
            return sum + line.unitPriceMinor * Int64(units)
        }
        if breakdown.grossMinor > payable { found.append("gross \(breakdown.grossMinor) > payable \(payable)") }
        if breakdown.grossMinor != breakdown.lines.reduce(0, { $0 + $1.grossMinor }) {
            found.append("gross is not the sum of the refunded lines")
        }
        for refunded in breakdown.lines {
            guard let line = order.lines.first(where: { $0.line == refunded.line }) else {
                found.append("refunded line \(refunded.line) is not in the order")
                continue
            }
            let cap = (order.requiresReceipt ? line.received : line.quantity) - line.alreadyRefunded
            if refunded.quantity > cap { found.append("line \(line.line) refunds \(refunded.quantity) > \(cap)") }
            if refunded.quantity <= 0 { found.append("line \(line.line) refunds \(refunded.quantity) units") }
            if refunded.grossMinor != line.unitPriceMinor * Int64(refunded.quantity) {
                found.append("line \(line.line) gross \(refunded.grossMinor) is not price x quantity")
            }
            if order.requiresReceipt, line.grade?.isRefundable != true {
                found.append("line \(line.line) graded \(line.grade?.rawValue ?? "nil") was refunded")
            }
        }
        for fee in breakdown.deductions where fee.kind == .restockingFee {
            let lineGross = breakdown.lines.first { $0.line == fee.line }?.grossMinor ?? 0
            if fee.amountMinor > lineGross {
                found.append("fee \(fee.amountMinor) on line \(fee.line ?? 0) > its gross")
            }
            if fee.amountMinor <= 0 { found.append("a restocking fee of \(fee.amountMinor) is listed") }
        }
        let labels = breakdown.deductions.filter { $0.kind == .labelCost }
        if labels.count > 1 { found.append("\(labels.count) label deductions") }
        if !labels.isEmpty {
            if order.labelAlreadyCharged { found.append("label charged twice") }
            if !order.requiresReceipt { found.append("label charged on keep-it") }
            if order.lines.contains(where: { RefundCalculatorTests.policy.freeLabelReasons.contains($0.reason) }) {
                found.append("label charged although a reason waives it")
            }
        }
        return found
    }

    @Test("over 2,000 generated orders: 0 <= net <= gross <= payable, deductions add up, one label at most")
    func generatedOrdersKeepTheRules() throws {
        var rng = SplitMix64(state: 0x5EED_2024)
        var failures: [String] = []
        var seen = (labels: 0, fees: 0, zeroNetWithGross: 0, keepIt: 0, jpy: 0, nothingDue: 0)
        for _ in 0..<2_000 {
            let order = try Self.order(&rng)
            let breakdown = RefundCalculatorTests.policy.refund(
                for: order.lines, currency: order.currency, labelAlreadyCharged: order.labelAlreadyCharged,
                requiresReceipt: order.requiresReceipt)
            let problems = Self.violations(of: breakdown, for: order)
            if !problems.isEmpty { failures.append("\(order): \(problems.joined(separator: ", "))") }
            if breakdown.chargesLabel { seen.labels += 1 }
            if breakdown.deductions.contains(where: { $0.kind == .restockingFee }) { seen.fees += 1 }
            if breakdown.grossMinor > 0, breakdown.netMinor == 0 { seen.zeroNetWithGross += 1 }
            if !order.requiresReceipt, breakdown.grossMinor > 0 { seen.keepIt += 1 }
            if order.currency.code == "JPY" { seen.jpy += 1 }
            if breakdown.lines.isEmpty { seen.nothingDue += 1 }
        }
        #expect(failures.count == 0, "\(failures.count) orders broke a rule, first: \(failures.prefix(3))")
        // The generator must reach the interesting cases, or the rules above were checked on nothing.
        #expect(seen.labels > 50)
        #expect(seen.fees > 200)
        #expect(seen.zeroNetWithGross > 5)
        #expect(seen.keepIt > 100)
        #expect(seen.jpy > 500 && seen.jpy < 1_500)
        #expect(seen.nothingDue > 20)
    }

    @Test("the generated orders are the same on every run")
    func generatorIsDeterministic() throws {
        var first = SplitMix64(state: 42)
        var second = SplitMix64(state: 42)
        for _ in 0..<20 {
            #expect(try Self.order(&first).description == Self.order(&second).description)
        }
        var other = SplitMix64(state: 43)
        var again = SplitMix64(state: 42)
        #expect(try Self.order(&other).description != Self.order(&again).description)
    }

    @Test("a percentage fee is exact on amounts whose product with the percentage overflows 64 bits", arguments: [
        Int64(9_200_000_000_000_000_000), Int64.max, 92_233_720_368_547_759, 123_456_789_012_345_678,
    ])
    func feeWithoutOverflow(gross: Int64) {
        for percent in [0, 1, 15, 50, 99, 100] {
            let fee = ReturnPolicy.fee(ReturnPolicy.Fee(percent: percent), on: gross, currency: "JPY")
            // The same arithmetic in 128 bits.
            let exact = (Int128(gross) * Int128(percent) + 50) / 100
            #expect(Int128(fee) == exact, "\(percent)% of \(gross)")
        }
    }
}
