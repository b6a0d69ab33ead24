import ReturnsCore
import Testing

@Suite("The estimate a customer sees before confirming")
struct ReturnEstimateTests {
    static let policy = ReturnPolicy(
        reasonCodes: ["doesnt_fit", "damaged"], freeLabelReasons: ["damaged"], labelCost: ["EUR": 595],
        resolutions: ResolutionTerms(
            offered: [.refund, .storeCredit, .exchange], storeCredit: StoreCreditTerms(bonusPercent: 10),
            exchange: ExchangeTerms(price: .settleDifference, downsell: .storeCredit, waiveBelow: ["EUR": 100])))

    @Test("a refund less the label, credit with its bonus, an upsell charged, a small difference waived")
    func itemised() throws {
        let eur = try Currency(code: "EUR")
        let estimate = Self.policy.estimate(
            [
                EstimatedLine(unitPriceMinor: 1_990, quantity: 2, reason: "doesnt_fit", resolution: .refund),
                EstimatedLine(unitPriceMinor: 6_000, quantity: 1, reason: "doesnt_fit", resolution: .storeCredit),
                EstimatedLine(unitPriceMinor: 6_000, quantity: 1, reason: "doesnt_fit", resolution: .exchange, replacementUnitMinor: 6_500),
                EstimatedLine(unitPriceMinor: 6_000, quantity: 1, reason: "doesnt_fit", resolution: .exchange, replacementUnitMinor: 6_050),
            ], currency: eur)
        #expect(estimate.grossMinor == 3_980 + 6_000 + 6_000 + 6_000)
        #expect(estimate.refundMinor == 3_980 - 595)
        #expect(estimate.creditMinor == 6_000 && estimate.bonusMinor == 600)
        #expect(estimate.chargeMinor == 500)
        #expect(estimate.lines.map(\.difference) == [nil, nil, .charged, .waived])
        // The customer keeps the item: no label; a free-label reason: none either.
        #expect(Self.policy.estimate([EstimatedLine(unitPriceMinor: 900, quantity: 1, reason: "doesnt_fit", resolution: .refund)], currency: eur, shipped: false).refundMinor == 900)
        #expect(Self.policy.estimate([EstimatedLine(unitPriceMinor: 900, quantity: 1, reason: "damaged", resolution: .refund)], currency: eur).refundMinor == 900)
    }

    @Test("money as the locale writes it, with a symbol or a code")
    func localMoney() throws {
        let amount = Money(minorUnits: 123_456, currency: try Currency(code: "EUR"))
        #expect(amount.formatted(locale: "en") == "€1,234.56")
        #expect(amount.formatted(locale: "de") == "1.234,56\u{a0}€")
        #expect(amount.formatted(locale: "de", withCode: true) == "1.234,56 EUR")
        #expect(Money(minorUnits: 1_500, currency: try Currency(code: "JPY")).formatted(locale: "ja") == "\u{a5}1,500")
    }
}
