import Foundation
import ReturnsCore
import Testing

/// The policy.yaml the package ships, read from the package root
/// (this file is Tests/ReturnsCoreTests/PolicyLoaderTests.swift).
private let shippedPolicyURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Workflows/policy.yaml")

/// The smallest policy the loader accepts: reason codes and a disposition for every grade.
private let validReasons = "reason_codes: [damaged, changed_mind]"
private let validDispositions = """
    default_disposition: {A: restock, B: open_box, C: refurbish, D: refurbish, X: recycle, \
    wrong_item: return_to_vendor, empty_box: destroy}
    """

/// The 1-based line of the YAML text carrying the `# <- here` marker, which is where the problem must be reported.
private func markedLine(_ yaml: String) -> Int? {
    let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.firstIndex { $0.contains("# <- here") }.map { $0 + 1 }
}

@Suite("Policy loader")
struct PolicyLoaderTests {
    /// A policy file with exactly one mistake, on the marked line.
    struct BrokenPolicy: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        /// Fragments the problem's message must contain, naming the key and the offending value.
        var mentions: [String]

        var testDescription: String { name }

        static let all: [BrokenPolicy] = [
            BrokenPolicy(
                name: "a blocked email that is not one",
                yaml: """
                    \(validReasons)
                    \(validDispositions)
                    blocked:
                      emails: [fraud@example.com, "not an email"]  # <- here
                    """,
                mentions: ["blocked.emails", "'not an email'"]),
            BrokenPolicy(
                name: "an unknown kind of block list",
                yaml: """
                    \(validReasons)
                    \(validDispositions)
                    blocked:
                      postcodes: ["10115"]  # <- here
                    """,
                mentions: ["blocked: unknown key 'postcodes'", "emails, orders, skus"]),
            BrokenPolicy(
                name: "a customer both allowed and blocked",
                yaml: """
                    \(validReasons)
                    \(validDispositions)
                    blocked: {emails: [ana@example.com]}
                    allowed:
                      emails: [ANA@example.com]  # <- here
                    """,
                mentions: ["allowed.emails", "ana@example.com is blocked too"]),
            BrokenPolicy(
                name: "an unknown top-level key",
                yaml: """
                    \(validReasons)
                    refund_days: 14  # <- here
                    \(validDispositions)
                    """,
                mentions: ["unknown key 'refund_days'", "return_window_days"]),
            BrokenPolicy(
                name: "a negative return window",
                yaml: """
                    return_window_days:
                      default: 30
                      electronics: -5  # <- here
                    \(validReasons)
                    \(validDispositions)
                    """,
                mentions: ["return_window_days.electronics", "number of days"]),
            BrokenPolicy(
                name: "a return window that is not a number",
                yaml: """
                    return_window_days:
                      default: thirty  # <- here
                      electronics: 15
                    \(validReasons)
                    \(validDispositions)
                    """,
                mentions: ["return_window_days.default", "number of days"]),
            BrokenPolicy(
                name: "an unknown grade in restocking_fee",
                yaml: """
                    \(validReasons)
                    restocking_fee:
                      A: {percent: 0}
                      E: {percent: 10}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["restocking_fee", "'E' is not a grade"]),
            BrokenPolicy(
                name: "a restocking fee of 101 percent",
                yaml: """
                    \(validReasons)
                    restocking_fee:
                      A: {percent: 0}
                      B: {percent: 101}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["restocking_fee.B.percent", "0 to 100"]),
            BrokenPolicy(
                name: "a restocking fee minimum above its maximum",
                yaml: """
                    \(validReasons)
                    restocking_fee:
                      B: {percent: 5, min: {EUR: "30.00", USD: "1.00"}, max: {EUR: "20.00", USD: "20.00"}}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["restocking_fee.B", "min is above max in EUR"]),
            BrokenPolicy(
                name: "a label cost in JPY with decimals",
                yaml: """
                    \(validReasons)
                    label_cost: {EUR: "5.95", JPY: "1.5"}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["label_cost.JPY", "'1.5'", "JPY"]),
            BrokenPolicy(
                name: "a restocking fee minimum in JPY with decimals",
                yaml: """
                    \(validReasons)
                    restocking_fee:
                      B: {percent: 5, min: {JPY: "1.5"}}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["restocking_fee.B.min.JPY", "'1.5'"]),
            BrokenPolicy(
                name: "a keep-it threshold in EUR with three decimals",
                yaml: """
                    \(validReasons)
                    routing:
                      keep_it_below: {EUR: "10.005"}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["routing.keep_it_below.EUR", "'10.005'"]),
            BrokenPolicy(
                name: "a label cost in an unknown currency",
                yaml: """
                    \(validReasons)
                    label_cost: {XYZ: "5.00"}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["label_cost.XYZ", "'XYZ'"]),
            BrokenPolicy(
                name: "a negative label cost",
                yaml: """
                    \(validReasons)
                    label_cost: {EUR: "-5.95"}  # <- here
                    \(validDispositions)
                    """,
                mentions: ["label_cost.EUR", "'-5.95'"]),
            BrokenPolicy(
                name: "a customer flag that is not a number",
                yaml: """
                    \(validReasons)
                    routing:
                      flag_after_returns_in_90_days: many  # <- here
                    \(validDispositions)
                    """,
                mentions: ["routing.flag_after_returns_in_90_days"]),
            BrokenPolicy(
                name: "an unknown disposition",
                yaml: """
                    \(validReasons)
                    default_disposition: {A: trash, B: open_box, C: refurbish, D: refurbish, X: recycle, wrong_item: return_to_vendor, empty_box: destroy}  # <- here
                    """,
                mentions: ["default_disposition.A", "'trash'", "return_to_vendor"]),
            BrokenPolicy(
                name: "a grade missing from default_disposition",
                yaml: """
                    \(validReasons)
                    default_disposition: {A: restock, B: open_box, C: refurbish, D: refurbish, X: recycle, wrong_item: return_to_vendor}  # <- here
                    """,
                mentions: ["default_disposition", "grade empty_box"]),
            BrokenPolicy(
                name: "a free-label reason that is not a reason code",
                yaml: """
                    \(validReasons)
                    free_label_reasons: [damaged, lost_in_post]  # <- here
                    \(validDispositions)
                    """,
                mentions: ["free_label_reasons", "'lost_in_post'", "reason_codes"]),
            BrokenPolicy(
                name: "an empty list of reason codes",
                yaml: """
                    reason_codes: []  # <- here
                    \(validDispositions)
                    """,
                mentions: ["reason_codes"]),
            BrokenPolicy(
                name: "reason codes that are not a list",
                yaml: """
                    reason_codes: damaged  # <- here
                    \(validDispositions)
                    """,
                mentions: ["reason_codes"]),
        ]
    }

    static func loadShipped() throws -> (ReturnPolicy?, [WorkflowProblem]) {
        PolicyLoader.load(yaml: try String(contentsOf: shippedPolicyURL, encoding: .utf8), file: "policy.yaml")
    }

    @Test("the shipped policy.yaml loads without problems")
    func shippedPolicyLoads() throws {
        let (policy, problems) = try Self.loadShipped()
        #expect(problems == [], "\(problems)")
        #expect(policy != nil)
    }

    @Test("the shipped policy.yaml has the retailer's windows, reasons, routing thresholds and label costs")
    func shippedPolicyValues() throws {
        let policy = try #require(try Self.loadShipped().0)
        #expect(policy.defaultWindowDays == 30)
        #expect(policy.window(for: "electronics") == 15)
        #expect(policy.window(for: "furniture") == 60)
        #expect(policy.window(for: "toys") == 30)
        #expect(policy.nonReturnable == ["gift_card", "perishable", "personal_care"])
        #expect(
            policy.reasonCodes == [
                "damaged", "wrong_item_sent", "not_as_described", "doesnt_fit", "changed_mind", "arrived_late",
            ])
        #expect(policy.freeLabelReasons == ["damaged", "wrong_item_sent", "not_as_described"])
        #expect(policy.specialistAbove == ["EUR": 100_000, "USD": 110_000, "GBP": 90_000, "JPY": 150_000])
        #expect(policy.keepItBelow == ["EUR": 1_000, "USD": 1_000, "GBP": 800, "JPY": 1_500])
        #expect(policy.flagAfterReturns == 5)
        #expect(policy.labelCost == ["EUR": 595, "USD": 650, "GBP": 495, "JPY": 800])
        #expect(policy.blockedEmails.isEmpty && policy.blockedOrders.isEmpty && policy.blockedSKUs.isEmpty)
    }

    @Test("block lists refuse the customer, the order or the SKU; an allowed customer is never flagged")
    func blockAndAllowLists() throws {
        let yaml = """
            \(validReasons)
            \(validDispositions)
            routing: {flag_after_returns_in_90_days: 5}
            blocked: {emails: [Fraud@Example.com], orders: [ORD-666], skus: [GIFT-50]}
            allowed: {emails: [vip@example.com]}
            """
        let (loaded, problems) = PolicyLoader.load(yaml: yaml, file: "policy.yaml")
        #expect(problems.isEmpty, "\(problems)")
        let policy = try #require(loaded)
        #expect(policy.blocks(email: "fraud@example.com", orderRef: "A-1", skus: ["SHOE"]).count == 1)
        #expect(policy.blocks(email: "ana@example.com", orderRef: "ORD-666", skus: ["SHOE"]).count == 1)
        #expect(policy.blocks(email: "ana@example.com", orderRef: "A-1", skus: ["SHOE", "GIFT-50"]).map(\.field) == ["item GIFT-50"])
        #expect(policy.blocks(email: "ana@example.com", orderRef: "A-1", skus: ["SHOE"]).isEmpty)
        #expect(policy.allowedEmails == ["vip@example.com"])
    }

    @Test("the shipped restocking fees: A free, B 5% between EUR 1.00 and 20.00, C 15%, D 30%, X 100%")
    func shippedRestockingFees() throws {
        let fees = try #require(try Self.loadShipped().0).restockingFees
        #expect(fees[.a] == ReturnPolicy.Fee(percent: 0))
        let b = try #require(fees[.b])
        #expect(b.percent == 5)
        #expect(b.minimum["EUR"] == 100)
        #expect(b.maximum["EUR"] == 2_000)
        #expect(b.minimum == ["EUR": 100, "USD": 100, "GBP": 100, "JPY": 150])
        #expect(b.maximum == ["EUR": 2_000, "USD": 2_000, "GBP": 1_800, "JPY": 3_000])
        #expect(
            fees[.c]
                == ReturnPolicy.Fee(
                    percent: 15, minimum: ["EUR": 200, "USD": 200, "GBP": 200, "JPY": 300],
                    maximum: ["EUR": 6_000, "USD": 6_000, "GBP": 5_000, "JPY": 9_000]))
        #expect(fees[.d] == ReturnPolicy.Fee(percent: 30))
        #expect(fees[.x] == ReturnPolicy.Fee(percent: 100))
        #expect(fees[.wrongItem] == nil)
        #expect(fees[.emptyBox] == nil)
    }

    static let shippedDispositions: [(Grade, Disposition)] = [
        (.a, .restock), (.b, .openBox), (.c, .refurbish), (.d, .refurbish), (.x, .recycle),
        (.wrongItem, .returnToVendor), (.emptyBox, .destroy),
    ]

    @Test("the shipped policy sends every grade somewhere by default", arguments: PolicyLoaderTests.shippedDispositions)
    func shippedDefaultDisposition(grade: Grade, disposition: Disposition) throws {
        let policy = try #require(try Self.loadShipped().0)
        #expect(policy.defaultDisposition[grade] == disposition)
    }

    @Test("the shipped policy has a default disposition for every grade there is")
    func shippedDispositionCoversAllGrades() throws {
        let policy = try #require(try Self.loadShipped().0)
        #expect(Set(policy.defaultDisposition.keys) == Set(Grade.allCases))
    }

    @Test("a policy with only reason codes and dispositions gets 30-day windows, no fees, no label, no routing")
    func minimalPolicyDefaults() throws {
        let (loaded, problems) = PolicyLoader.load(yaml: validReasons + "\n" + validDispositions, file: "p.yaml")
        #expect(problems == [])
        let policy = try #require(loaded)
        #expect(policy.defaultWindowDays == 30)
        #expect(policy.windowDays == [:])
        #expect(policy.reasonCodes == ["damaged", "changed_mind"])
        #expect(policy.freeLabelReasons == [])
        #expect(policy.nonReturnable == [])
        #expect(policy.restockingFees == [:])
        #expect(policy.labelCost == [:])
        #expect(policy.specialistAbove == [:])
        #expect(policy.keepItBelow == [:])
        #expect(policy.flagAfterReturns == .max)
    }

    @Test("currency codes and block-style lists are read like their flow-style equivalents")
    func blockStyleAndLowercaseCurrencies() throws {
        let yaml = """
            return_window_days:
              default: 20
              shoes: 45
            reason_codes:
              - damaged
              - changed_mind
            free_label_reasons:
              - damaged
            label_cost:
              eur: "4.50"
              jpy: 700
            \(validDispositions)
            """
        let (loaded, problems) = PolicyLoader.load(yaml: yaml, file: "p.yaml")
        #expect(problems == [])
        let policy = try #require(loaded)
        #expect(policy.defaultWindowDays == 20)
        #expect(policy.window(for: "shoes") == 45)
        #expect(policy.reasonCodes == ["damaged", "changed_mind"])
        #expect(policy.freeLabelReasons == ["damaged"])
        #expect(policy.labelCost == ["EUR": 450, "JPY": 700])
    }

    @Test(
        "a broken policy is refused with a problem on the offending line naming the key",
        arguments: PolicyLoaderTests.BrokenPolicy.all)
    func brokenPolicy(_ broken: BrokenPolicy) throws {
        let expectedLine = try #require(markedLine(broken.yaml), "the case must mark its offending line")
        let (policy, problems) = PolicyLoader.load(yaml: broken.yaml, file: "Workflows/policy.yaml")
        #expect(policy == nil)
        let key = try #require(broken.mentions.first)
        let problem = try #require(problems.first { $0.message.contains(key) }, "no problem names \(key): \(problems)")
        #expect(problem.line == expectedLine, "\(problem)")
        #expect(problem.file == "Workflows/policy.yaml")
        #expect(problem.severity == .error)
        for fragment in broken.mentions.dropFirst() {
            #expect(problem.message.contains(fragment), "\(problem.message) should mention \(fragment)")
        }
        // Nothing else in the file is wrong, so nothing may be reported elsewhere.
        #expect(problems.allSatisfy { $0.line == expectedLine }, "\(problems)")
    }

    @Test("every problem in the file is reported, each on its own line")
    func collectsEveryProblem() {
        let yaml = """
            reason_codes: [damaged]
            free_label_reasons: [damaged, changed_mind]
            restocking_fee:
              B: {percent: 150}
            label_cost: {JPY: "8.00"}
            colour: blue
            default_disposition: {A: restock, B: open_box, C: refurbish, D: refurbish, X: recycle, wrong_item: return_to_vendor, empty_box: landfill}
            """
        let (policy, problems) = PolicyLoader.load(yaml: yaml, file: "policy.yaml")
        #expect(policy == nil)
        let expected: [(line: Int, mentions: String)] = [
            (2, "free_label_reasons: 'changed_mind'"), (4, "restocking_fee.B.percent"), (5, "label_cost.JPY"),
            (6, "unknown key 'colour'"), (7, "default_disposition.empty_box: 'landfill'"),
        ]
        for (line, mentions) in expected {
            #expect(
                problems.contains { $0.line == line && $0.message.contains(mentions) },
                "expected a problem on line \(line) naming \(mentions): \(problems)")
        }
        #expect(Set(problems.map(\.line)) == [2, 4, 5, 6, 7], "\(problems)")
    }

    @Test("an empty file, a file that is not YAML and a file that is not a mapping are each refused on line 1")
    func unusableFiles() {
        for yaml in ["", "reason_codes: [damaged", "- just\n- a list"] {
            let (policy, problems) = PolicyLoader.load(yaml: yaml, file: "policy.yaml")
            #expect(policy == nil, "\(yaml)")
            #expect(problems.count == 1, "\(yaml): \(problems)")
            #expect(problems.first?.line == 1, "\(yaml): \(problems)")
        }
    }

    // A block-style restocking fee with `min` before `percent` puts the mapping's first line (`min`) in the
    // problem, not the `percent` line the message names.
    @Test("a bad percent in a block-style restocking fee is reported on the percent line")
    func percentLineInBlockStyle() throws {
        let yaml = """
            \(validReasons)
            restocking_fee:
              B:
                min: {EUR: "1.00"}
                percent: 101  # <- here
            \(validDispositions)
            """
        let (_, problems) = PolicyLoader.load(yaml: yaml, file: "policy.yaml")
        let problem = try #require(problems.first)
        #expect(problem.message.contains("restocking_fee.B.percent"))
        #expect(problem.line == markedLine(yaml))
    }

    @Test("a free-label reason missing from reason_codes in a block list is reported on its own line")
    func freeLabelReasonLineInBlockStyle() throws {
        let yaml = """
            \(validReasons)
            free_label_reasons:
              - damaged
              - lost_in_post  # <- here
            \(validDispositions)
            """
        let (_, problems) = PolicyLoader.load(yaml: yaml, file: "policy.yaml")
        let problem = try #require(problems.first)
        #expect(problem.message.contains("'lost_in_post'"))
        #expect(problem.line == markedLine(yaml))
    }

    @Test("a misspelt key inside routing or a restocking fee is reported, not silently ignored")
    func unknownNestedKeys() {
        let yaml = """
            \(validReasons)
            routing:
              specialist_abve: {EUR: "1000.00"}
            restocking_fee:
              B: {percent: 5, minimum: {EUR: "1.00"}}
            \(validDispositions)
            """
        let (policy, problems) = PolicyLoader.load(yaml: yaml, file: "policy.yaml")
        #expect(policy == nil)
        #expect(problems.map(\.line).sorted() == [3, 5], "\(problems)")
    }
}
