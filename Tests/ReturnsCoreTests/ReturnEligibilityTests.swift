import Foundation
import ReturnsCore
import Testing

@Suite("Return eligibility and routing")
struct ReturnEligibilityTests {
    /// The shipped policy's eligibility and routing rules, written out (PolicyLoaderTests pins the file to them).
    static let policy = ReturnPolicy(
        windowDays: ["electronics": 15, "furniture": 60], defaultWindowDays: 30,
        nonReturnable: ["gift_card", "perishable", "personal_care"],
        reasonCodes: ["damaged", "wrong_item_sent", "not_as_described", "doesnt_fit", "changed_mind", "arrived_late"],
        specialistAbove: ["EUR": 100_000, "JPY": 150_000], keepItBelow: ["EUR": 1_000, "JPY": 1_500],
        flagAfterReturns: 5)

    static let orderedAt = Date(timeIntervalSince1970: 1_717_243_200)  // 2024-06-01 12:00 UTC

    static func daysLater(_ days: Double) -> Date { orderedAt.addingTimeInterval(days * 86_400) }

    static func item(
        _ sku: String, category: String = "toys", reason: String = "changed_mind", total: Int64 = 2_500
    ) throws -> RequestedItem {
        RequestedItem(
            sku: sku, category: category, reason: reason,
            lineTotal: Money(minorUnits: total, currency: try Currency(code: "EUR")))
    }

    static func eur(_ minor: Int64) throws -> Money { Money(minorUnits: minor, currency: try Currency(code: "EUR")) }

    // MARK: - Refusals

    @Test("a returnable item with a known reason, inside the window, is accepted")
    func accepted() throws {
        let refusals = Self.policy.refusals(
            for: [try Self.item("SKU-1"), try Self.item("SKU-2", category: "electronics", reason: "damaged")],
            orderedAt: Self.orderedAt, now: Self.daysLater(3))
        #expect(refusals == [])
    }

    @Test(
        "a non-returnable category is refused, naming the item and the category",
        arguments: ["gift_card", "perishable", "personal_care"])
    func nonReturnable(category: String) throws {
        let refusals = Self.policy.refusals(
            for: [try Self.item("SKU-9", category: category)], orderedAt: Self.orderedAt, now: Self.daysLater(1))
        #expect(refusals.count == 1)
        let refusal = try #require(refusals.first)
        #expect(refusal.field == "item SKU-9")
        #expect(refusal.reason == "\(category) items cannot be returned")
        #expect(refusal.description == "item SKU-9: \(category) items cannot be returned")
    }

    @Test("an unknown reason is refused, listing the reasons the customer may give")
    func unknownReason() throws {
        let refusals = Self.policy.refusals(
            for: [try Self.item("SKU-3", reason: "bored")], orderedAt: Self.orderedAt, now: Self.daysLater(1))
        #expect(
            refusals.map(\.description) == [
                "item SKU-3: reason 'bored' is not one of arrived_late, changed_mind, damaged, doesnt_fit, "
                    + "not_as_described, wrong_item_sent"
            ])
    }

    @Test(
        "the return window is counted in whole days since the order",
        arguments: [
            ("toys", 0.0, true), ("toys", 30.0, true), ("toys", 30.99, true), ("toys", 31.0, false),
            ("electronics", 15.0, true), ("electronics", 15.5, true), ("electronics", 16.0, false),
            ("furniture", 60.0, true), ("furniture", 61.0, false), ("toys", -2.0, true),
        ])
    func window(category: String, days: Double, accepted: Bool) throws {
        let refusals = Self.policy.refusals(
            for: [try Self.item("SKU-4", category: category)], orderedAt: Self.orderedAt, now: Self.daysLater(days))
        #expect(refusals.isEmpty == accepted, "\(refusals)")
    }

    @Test("day 31 is refused: within 30 days, this order is 31 days old")
    func day31Message() throws {
        let refusals = Self.policy.refusals(
            for: [try Self.item("SKU-5")], orderedAt: Self.orderedAt, now: Self.daysLater(31))
        #expect(
            refusals.map(\.description) == [
                "item SKU-5: toys items can be returned within 30 days of the order; this order is 31 days old"
            ])
    }

    @Test("electronics have a 15-day window: day 16 is refused with the electronics window")
    func electronicsWindow() throws {
        let refusals = Self.policy.refusals(
            for: [try Self.item("TV-1", category: "electronics"), try Self.item("SKU-6")],
            orderedAt: Self.orderedAt, now: Self.daysLater(16))
        #expect(refusals.count == 1)
        #expect(refusals.first?.field == "item TV-1")
        #expect(refusals.first?.reason.contains("within 15 days") == true)
        #expect(refusals.first?.reason.contains("16 days old") == true)
    }

    @Test("every problem with every item is reported, in item order")
    func allProblemsReported() throws {
        let items = [
            try Self.item("GC-1", category: "gift_card", reason: "bored"),
            try Self.item("SKU-7", reason: "bored"),
            try Self.item("TV-2", category: "electronics"),
            try Self.item("SKU-8", reason: "meh"),
        ]
        let refusals = Self.policy.refusals(for: items, orderedAt: Self.orderedAt, now: Self.daysLater(40))
        try #require(refusals.count == 6, "\(refusals)")
        #expect(
            refusals.map(\.field) == ["item GC-1", "item SKU-7", "item SKU-7", "item TV-2", "item SKU-8", "item SKU-8"])
        #expect(refusals[0].reason == "gift_card items cannot be returned")
        #expect(refusals[1].reason.hasPrefix("reason 'bored' is not one of"))
        #expect(refusals[2].reason.contains("within 30 days"))
        #expect(refusals[3].reason.contains("within 15 days"))
        #expect(refusals[3].reason.contains("40 days old"))
        #expect(refusals[4].reason.hasPrefix("reason 'meh'"))
    }

    @Test("the permissive policy accepts any category, any reason, years after the order")
    func permissiveAcceptsAnything() throws {
        let items = [
            try Self.item("GC-1", category: "gift_card", reason: "no reason at all"),
            try Self.item("SKU-1", category: "", reason: ""),
        ]
        let refusals = ReturnPolicy.permissive.refusals(
            for: items, orderedAt: Self.orderedAt, now: Self.daysLater(3_650))
        #expect(refusals == [])
    }

    // MARK: - Routing

    struct RouteCase: Sendable, CustomTestStringConvertible {
        var name: String
        var currency = "EUR"
        var total: Int64
        var recentReturns = 0
        var workflow: String
        /// Fragments the `because` text must contain.
        var because: [String]

        var testDescription: String { name }
    }

    static let routes: [RouteCase] = [
        RouteCase(
            name: "EUR 1000.01 is above the specialist threshold", total: 100_001, workflow: "specialist",
            because: ["1000.01 EUR", "above 1000.00 EUR"]),
        RouteCase(
            name: "exactly EUR 1000.00 is not above the threshold", total: 100_000, workflow: "standard",
            because: ["routine"]),
        RouteCase(
            name: "EUR 9.99 is below the keep-it threshold", total: 999, workflow: "keep-it",
            because: ["9.99 EUR", "below 10.00 EUR"]),
        RouteCase(
            name: "exactly EUR 10.00 is not below the keep-it threshold", total: 1_000, workflow: "standard",
            because: ["routine"]),
        RouteCase(name: "nothing at all is kept by the customer", total: 0, workflow: "keep-it", because: ["0.00 EUR"]),
        RouteCase(name: "EUR 250.00 is a standard return", total: 25_000, workflow: "standard", because: ["routine"]),
        RouteCase(
            name: "a customer with 6 returns in 90 days goes to a specialist even for EUR 5.00", total: 500,
            recentReturns: 6, workflow: "specialist", because: ["6 returns in 90 days", "limit 5"]),
        RouteCase(
            name: "a customer with exactly 5 returns is not flagged", total: 500, recentReturns: 5, workflow: "keep-it",
            because: ["5.00 EUR"]),
        RouteCase(
            name: "JPY 150001 is above the yen threshold", currency: "JPY", total: 150_001, workflow: "specialist",
            because: ["150001 JPY", "above 150000 JPY"]),
        RouteCase(
            name: "JPY 1499 is below the yen keep-it threshold", currency: "JPY", total: 1_499, workflow: "keep-it",
            because: ["1499 JPY", "below 1500 JPY"]),
        RouteCase(
            name: "a currency without a review threshold goes to a specialist however cheap", currency: "CHF", total: 1,
            workflow: "specialist", because: ["no review threshold for CHF"]),
        RouteCase(
            name: "a currency without a review threshold goes to a specialist however dear", currency: "CHF",
            total: 99_999_999, workflow: "specialist", because: ["no review threshold for CHF"]),
    ]

    @Test("a request is routed by value and by the customer's recent returns", arguments: ReturnEligibilityTests.routes)
    func route(_ example: RouteCase) throws {
        let total = Money(minorUnits: example.total, currency: try Currency(code: example.currency))
        let routing = Self.policy.route(total: total, recentReturns: example.recentReturns)
        #expect(routing.workflow == example.workflow)
        for fragment in example.because {
            #expect(routing.because.contains(fragment), "'\(routing.because)' should mention \(fragment)")
        }
    }

    @Test("the permissive policy routes everything to the standard workflow")
    func permissiveRoutesStandard() throws {
        for (total, recent) in [(Int64(1), 0), (1_000_000_000, 0), (500, 1_000)] {
            #expect(
                ReturnPolicy.permissive.route(total: try Self.eur(total), recentReturns: recent).workflow == "standard")
        }
    }

    /// The active codes of ISO 4217 (list one, 2024).
    static let iso4217 = """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF \
        CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF \
        GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD \
        LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP \
        PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP \
        TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XOF XPF XSU XUA YER ZAR ZMW ZWG
        """.split(separator: " ").map(String.init)

    @Test("no currency of ISO 4217 routes an item worth a fortune around review: it is reviewed or refused")
    func everyCurrencyIsReviewed() throws {
        #expect(Self.iso4217.count == 167)
        for code in Self.iso4217 {
            // A currency this program does not know is refused when the request is read.
            guard let currency = try? Currency(code: code) else { continue }
            let fortune = Money(minorUnits: 900_000_000_000, currency: currency)
            let routing = Self.policy.route(total: fortune, recentReturns: 0)
            #expect(routing.workflow == "specialist", "\(code): \(routing.because)")
        }
    }
}
