import ReturnsCore
import Testing

/// The money of resolutions: every price rule, fees, label, bonus, and currencies without and with three decimals.
@Suite("Settling returned lines by resolution")
struct SettlementTests {
    static func policy(
        price: ExchangeTerms.PriceRule = .settleDifference, downsell: Resolution = .storeCredit,
        waive: [String: Int64] = ["EUR": 100, "JPY": 150, "KWD": 1_000], bonusPercent: Int = 10,
        bonusFlat: [String: Int64] = [:], fees: [Grade: ReturnPolicy.Fee] = [.b: .init(percent: 10)],
        label: [String: Int64] = ["EUR": 500, "JPY": 800, "KWD": 1_500]
    ) -> ReturnPolicy {
        ReturnPolicy(
            reasonCodes: ["doesnt_fit", "damaged"], freeLabelReasons: ["damaged"], restockingFees: fees, labelCost: label,
            resolutions: ResolutionTerms(
                offered: Resolution.allCases,
                storeCredit: StoreCreditTerms(bonusPercent: bonusPercent, bonusFlat: bonusFlat),
                exchange: ExchangeTerms(price: price, downsell: downsell, waiveBelow: waive)))
    }

    /// One received, graded line of `units` at `price` minor units.
    static func line(_ number: Int, _ price: Int64, units: Int = 1, grade: Grade = .a, reason: String = "doesnt_fit")
        -> RefundLine
    {
        RefundLine(
            line: number, unitPriceMinor: price, quantity: units, received: units, grade: grade, reason: reason, graded: units)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var policy: ReturnPolicy
        var currency: String
        var lines: [RefundLine]
        var resolutions: [Int: SettlementLine]
        var refund: Int64
        var credit: Int64
        var bonus: Int64
        var charge: Int64
        var label: Int64
        var differences: [Int: Settlement.Difference] = [:]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "refund: net of fee and label", policy: policy(), currency: "EUR",
            lines: [line(1, 5_000, grade: .b)], resolutions: [:], refund: 5_000 - 500 - 500, credit: 0, bonus: 0,
            charge: 0, label: 500),
        Case(
            name: "store credit: bonus on the value before fees, label taken from the credit", policy: policy(),
            currency: "EUR", lines: [line(1, 5_000, grade: .b)],
            resolutions: [1: .init(line: 1, resolution: .storeCredit)], refund: 0, credit: 5_000 - 500 - 500,
            bonus: 500, charge: 0, label: 500),
        Case(
            name: "flat bonus adds to the percentage", policy: policy(bonusFlat: ["EUR": 300]), currency: "EUR",
            lines: [line(1, 2_000)], resolutions: [1: .init(line: 1, resolution: .storeCredit)], refund: 0,
            credit: 1_500, bonus: 200 + 300, charge: 0, label: 500),
        Case(
            name: "upsell: the difference is charged; no label on an exchange", policy: policy(), currency: "EUR",
            lines: [line(1, 5_000)], resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 6_000)],
            refund: 0, credit: 0, bonus: 0, charge: 1_000, label: 0, differences: [1: .charged]),
        Case(
            name: "downsell credited", policy: policy(), currency: "EUR", lines: [line(1, 5_000)],
            resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 4_000)], refund: 0,
            credit: 1_000 - 500, bonus: 0, charge: 0, label: 500, differences: [1: .credited]),
        Case(
            name: "downsell refunded", policy: policy(downsell: .refund), currency: "EUR", lines: [line(1, 5_000)],
            resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 4_000)], refund: 1_000 - 500,
            credit: 0, bonus: 0, charge: 0, label: 500, differences: [1: .refunded]),
        Case(
            name: "even exchange: no money either way", policy: policy(price: .even), currency: "EUR",
            lines: [line(1, 5_000)], resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 9_000)],
            refund: 0, credit: 0, bonus: 0, charge: 0, label: 0, differences: [1: .even]),
        Case(
            name: "same price: no money", policy: policy(price: .samePrice), currency: "EUR", lines: [line(1, 5_000)],
            resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 5_000)], refund: 0, credit: 0,
            bonus: 0, charge: 0, label: 0, differences: [1: .even]),
        Case(
            name: "a difference under the threshold is waived", policy: policy(), currency: "EUR", lines: [line(1, 5_000)],
            resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 5_050)], refund: 0, credit: 0,
            bonus: 0, charge: 0, label: 0, differences: [1: .waived]),
        Case(
            name: "a restocking fee makes an exchange at the same price an upsell", policy: policy(), currency: "EUR",
            lines: [line(1, 5_000, grade: .b)],
            resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 5_000)], refund: 0, credit: 0,
            bonus: 0, charge: 500, label: 0, differences: [1: .charged]),
        Case(
            name: "mixed: the label comes from the refund first", policy: policy(), currency: "EUR",
            lines: [line(1, 3_000), line(2, 2_000)], resolutions: [2: .init(line: 2, resolution: .storeCredit)],
            refund: 2_500, credit: 2_000, bonus: 200, charge: 0, label: 500),
        Case(
            name: "JPY: whole yen, a difference of 140 under the threshold of 150", policy: policy(), currency: "JPY",
            lines: [line(1, 12_000, units: 2)],
            resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 12_070)], refund: 0, credit: 0,
            bonus: 0, charge: 0, label: 0, differences: [1: .waived]),
        Case(
            name: "JPY: a difference of 200 is charged", policy: policy(), currency: "JPY",
            lines: [line(1, 12_000, units: 2)],
            resolutions: [1: .init(line: 1, resolution: .exchange, replacementUnitMinor: 12_100)], refund: 0, credit: 0,
            bonus: 0, charge: 200, label: 0, differences: [1: .charged]),
        Case(
            name: "KWD: three decimals, bonus rounded half up", policy: policy(), currency: "KWD",
            lines: [line(1, 12_345)], resolutions: [1: .init(line: 1, resolution: .storeCredit)], refund: 0,
            credit: 12_345 - 1_500, bonus: 1_235, charge: 0, label: 1_500),
        Case(
            name: "a waived label (the retailer's fault) leaves the credit whole", policy: policy(), currency: "EUR",
            lines: [line(1, 4_000, reason: "damaged")], resolutions: [1: .init(line: 1, resolution: .storeCredit)],
            refund: 0, credit: 4_000, bonus: 400, charge: 0, label: 0),
    ]

    @Test("each price rule settles as the policy says", arguments: cases)
    func settles(_ test: Case) throws {
        let currency = try Currency(code: test.currency)
        let breakdown = test.policy.refund(for: test.lines, currency: currency, labelAlreadyCharged: false)
        let settled = test.policy.settle(breakdown, lines: test.resolutions, bonusGiven: false)
        #expect(settled.refundMinor == test.refund)
        #expect(settled.creditMinor == test.credit)
        #expect(settled.bonusMinor == test.bonus)
        #expect(settled.chargeMinor == test.charge)
        #expect(settled.labelMinor == test.label)
        for (line, difference) in test.differences {
            #expect(settled.lines.first { $0.line == line }?.difference == difference)
        }
    }

    @Test("the flat bonus is given once per return")
    func flatBonusOnce() throws {
        let policy = Self.policy(bonusPercent: 0, bonusFlat: ["EUR": 300])
        let breakdown = policy.refund(for: [Self.line(1, 2_000)], currency: try Currency(code: "EUR"), labelAlreadyCharged: true)
        let lines: [Int: SettlementLine] = [1: .init(line: 1, resolution: .storeCredit)]
        #expect(policy.settle(breakdown, lines: lines, bonusGiven: false).bonusMinor == 300)
        #expect(policy.settle(breakdown, lines: lines, bonusGiven: true).bonusMinor == 0)
    }

    /// Over generated returns: money back to the customer (refund and credit, the bonus aside) never passes what
    /// the lines were paid less the fees and the label kept; a charge only arises from an exchange.
    @Test("never more back than was paid, less what was kept, over 2000 generated returns")
    func neverMoreThanPaid() throws {
        var generator = SystemRandomNumberGenerator()
        let rules = ExchangeTerms.PriceRule.allCases
        for round in 0..<2_000 {
            let policy = Self.policy(
                price: rules[round % rules.count], downsell: round % 2 == 0 ? .refund : .storeCredit,
                bonusPercent: Int.random(in: 0...25, using: &generator))
            let code = ["EUR", "JPY", "KWD"][round % 3]
            var lines: [RefundLine] = []
            var resolutions: [Int: SettlementLine] = [:]
            for number in 1...Int.random(in: 1...5, using: &generator) {
                let price = Int64.random(in: 0...500_000, using: &generator)
                let grade = Grade.allCases.randomElement(using: &generator)!
                lines.append(Self.line(number, price, units: Int.random(in: 1...4, using: &generator), grade: grade))
                let resolution = Resolution.allCases.randomElement(using: &generator)!
                resolutions[number] = SettlementLine(
                    line: number, resolution: resolution,
                    replacementUnitMinor: resolution == .exchange ? Int64.random(in: 0...600_000, using: &generator) : nil)
            }
            let breakdown = policy.refund(for: lines, currency: try Currency(code: code), labelAlreadyCharged: false)
            let settled = policy.settle(breakdown, lines: resolutions, bonusGiven: false)
            let kept = settled.deductions.reduce(0) { $0 + $1.amountMinor }
            #expect(settled.refundMinor >= 0 && settled.creditMinor >= 0 && settled.chargeMinor >= 0)
            #expect(settled.refundMinor + settled.creditMinor <= breakdown.grossMinor - kept, "round \(round)")
            if !resolutions.values.contains(where: { $0.resolution == .exchange }) { #expect(settled.chargeMinor == 0) }
        }
    }
}
