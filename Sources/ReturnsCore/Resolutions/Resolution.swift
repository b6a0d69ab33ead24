/// How one returned line is settled: money back to the original payment, store credit, or another variant.
public enum Resolution: String, Sendable, Hashable, Codable, CaseIterable {
    case refund
    case storeCredit = "store_credit"
    case exchange
}

/// When money for refunded lines is released.
public enum ReleaseMoment: String, Sendable, Hashable, Codable, CaseIterable {
    /// After the partner graded the units (the default).
    case inspection
    /// When the partner receives the parcel, before inspection.
    case receipt
    /// At the carrier's first scan of the parcel.
    case firstScan = "first_scan"
    /// When the carrier delivers the parcel to the returns center (a scan of kind `delivered`).
    case delivered
}

/// The resolutions the retailer offers and their terms (`resolutions:` in policy.yaml).
public struct ResolutionTerms: Sendable, Hashable {
    /// Offered to every line; a line is exchanged only for a variant the exchange rules allow.
    public var offered: [Resolution]
    public var storeCredit: StoreCreditTerms
    public var exchange: ExchangeTerms
    /// When refunded lines are paid, per customer tier.
    public var release: ReleaseTerms

    public init(
        offered: [Resolution] = [.refund], storeCredit: StoreCreditTerms = .init(), exchange: ExchangeTerms = .init(),
        release: ReleaseTerms = .init()
    ) {
        self.offered = offered
        self.storeCredit = storeCredit
        self.exchange = exchange
        self.release = release
    }

    /// Refunds only, released after inspection: a policy without a `resolutions` section.
    public static let refundOnly = ResolutionTerms()
}

public struct StoreCreditTerms: Sendable, Hashable {
    /// A bonus on the credited lines' value before fees, in percent (rounded half up)…
    public var bonusPercent: Int
    /// …or a flat amount per return, per currency (minor units). Both may be set; they add up.
    public var bonusFlat: [String: Int64]
    /// Days a credit can be spent; nil: it does not expire.
    public var expiresAfterDays: Int?

    public init(bonusPercent: Int = 0, bonusFlat: [String: Int64] = [:], expiresAfterDays: Int? = nil) {
        self.bonusPercent = bonusPercent
        self.bonusFlat = bonusFlat
        self.expiresAfterDays = expiresAfterDays
    }
}

public struct ExchangeTerms: Sendable, Hashable {
    public enum Match: String, Sendable, Hashable, CaseIterable {
        /// Another variant (size, colour) of the product returned.
        case sameProduct = "same_product"
        /// Any variant in the catalog.
        case anyProduct = "any_product"
    }

    public enum PriceRule: String, Sendable, Hashable, CaseIterable {
        /// Only variants at the price paid for the returned unit; no money moves.
        case samePrice = "same_price"
        /// The difference is settled: an upsell is charged, a downsell refunded or credited (`downsell`).
        case settleDifference = "settle_difference"
        /// Any price, and no money moves either way.
        case even
    }

    public enum Moment: String, Sendable, Hashable, CaseIterable {
        /// At once, when the return is made (an instant exchange): the replacement's price is authorised on the
        /// customer's payment and charged if the return has not shipped by the deadline.
        case request
        /// When the partner receives the returned parcel.
        case receipt
        /// At the carrier's first scan of the returned parcel.
        case firstScan = "first_scan"
    }

    public var match: Match
    public var price: PriceRule
    /// Where the money of a cheaper replacement goes.
    public var downsell: Resolution
    /// A difference smaller than this (per currency, minor units) is waived either way.
    public var waiveBelow: [String: Int64]
    /// When the replacement order goes to the shop.
    public var shipOn: Moment
    /// How long the replacement's stock is held for the return.
    public var holdDays: Int
    /// For instant exchanges: days the customer has to ship the return before the replacement is charged.
    public var instantDeadlineDays: Int
    /// What a line becomes when its replacement is out of stock when it must ship.
    public var outOfStock: Resolution

    public init(
        match: Match = .sameProduct, price: PriceRule = .samePrice, downsell: Resolution = .refund,
        waiveBelow: [String: Int64] = [:], shipOn: Moment = .receipt, holdDays: Int = 45,
        outOfStock: Resolution = .refund, instantDeadlineDays: Int = 14
    ) {
        self.instantDeadlineDays = instantDeadlineDays
        self.match = match
        self.price = price
        self.downsell = downsell
        self.waiveBelow = waiveBelow
        self.shipOn = shipOn
        self.holdDays = holdDays
        self.outOfStock = outOfStock
    }
}

/// When refunds are released, per customer tier.
public struct ReleaseTerms: Sendable, Hashable {
    public enum Tier: String, Sendable, Hashable, CaseIterable {
        /// Customers on the policy's allowed list.
        case allowed
        /// Customers with no flag: not serial returners, not routed to a specialist.
        case unflagged
        case `default`
    }

    public var moments: [Tier: ReleaseMoment]

    public init(moments: [Tier: ReleaseMoment] = [:]) { self.moments = moments }

    /// The moment for a customer: the first tier they belong to that the policy names, else inspection.
    public func moment(allowed: Bool, flagged: Bool) -> ReleaseMoment {
        if allowed, let moment = moments[.allowed] { return moment }
        if !flagged, let moment = moments[.unflagged] { return moment }
        return moments[.default] ?? .inspection
    }
}
