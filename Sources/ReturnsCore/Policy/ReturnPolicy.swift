/// The retailer's return rules: what may be returned, when, where it is routed, and what is deducted.
public struct ReturnPolicy: Sendable, Hashable {
    /// Days after the order a return is accepted, per category; `defaultWindowDays` for the others.
    public var windowDays: [String: Int]
    public var defaultWindowDays: Int
    /// Categories that cannot be returned at all.
    public var nonReturnable: Set<String>
    /// Reason codes a customer may give.
    public var reasonCodes: Set<String>
    /// Reasons for which the customer does not pay the return label.
    public var freeLabelReasons: Set<String>
    /// Returns worth more than this (per currency, minor units) go to the specialist workflow.
    public var specialistAbove: [String: Int64]
    /// Returns worth less than this are refunded without shipping the item back.
    public var keepItBelow: [String: Int64]
    /// A customer with more than this many returns in 90 days is flagged for the specialist workflow.
    public var flagAfterReturns: Int
    /// Restocking fee per grade.
    public var restockingFees: [Grade: Fee]
    /// Cost of the return label, deducted once per return unless the reason waives it.
    public var labelCost: [String: Int64]
    /// Where an item of each grade goes unless the partner says otherwise (with a reason).
    public var defaultDisposition: [Grade: Disposition]
    /// Customers (lower-cased emails), orders and SKUs whose returns are refused.
    public var blockedEmails: Set<String>
    public var blockedOrders: Set<String>
    public var blockedSKUs: Set<String>
    /// Customers never flagged for returning often (lower-cased emails).
    public var allowedEmails: Set<String>
    /// Refund, store credit, exchange: which are offered, on what terms, and when money is released.
    public var resolutions: ResolutionTerms

    /// Where an item of `grade` goes unless the partner says otherwise with a reason.
    public func disposition(for grade: Grade) -> Disposition { defaultDisposition[grade] ?? .liquidate }

    /// A percentage of the refunded line, kept between a minimum and a maximum per currency.
    public struct Fee: Sendable, Hashable {
        public var percent: Int
        public var minimum: [String: Int64]
        public var maximum: [String: Int64]

        public init(percent: Int, minimum: [String: Int64] = [:], maximum: [String: Int64] = [:]) {
            self.percent = percent
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public init(
        windowDays: [String: Int] = [:], defaultWindowDays: Int = 30, nonReturnable: Set<String> = [],
        reasonCodes: Set<String>, freeLabelReasons: Set<String> = [], specialistAbove: [String: Int64] = [:],
        keepItBelow: [String: Int64] = [:], flagAfterReturns: Int = .max, restockingFees: [Grade: Fee] = [:],
        labelCost: [String: Int64] = [:], defaultDisposition: [Grade: Disposition] = [:],
        blockedEmails: Set<String> = [], blockedOrders: Set<String> = [], blockedSKUs: Set<String> = [],
        allowedEmails: Set<String> = [], resolutions: ResolutionTerms = .refundOnly
    ) {
        self.resolutions = resolutions
        self.blockedEmails = blockedEmails
        self.blockedOrders = blockedOrders
        self.blockedSKUs = blockedSKUs
        self.allowedEmails = allowedEmails
        self.windowDays = windowDays
        self.defaultWindowDays = defaultWindowDays
        self.nonReturnable = nonReturnable
        self.reasonCodes = reasonCodes
        self.freeLabelReasons = freeLabelReasons
        self.specialistAbove = specialistAbove
        self.keepItBelow = keepItBelow
        self.flagAfterReturns = flagAfterReturns
        self.restockingFees = restockingFees
        self.labelCost = labelCost
        self.defaultDisposition = defaultDisposition
    }

    public func window(for category: String) -> Int { windowDays[category] ?? defaultWindowDays }

    /// No restrictions, no deductions, no routing: for workflows used without a policy file.
    public static let permissive = ReturnPolicy(defaultWindowDays: 36_500, reasonCodes: [])
}
