/// What inspection found an item to be.
public enum Grade: String, Sendable, Hashable, CaseIterable, Codable {
    /// Like new.
    case a = "A"
    /// Very good.
    case b = "B"
    /// Acceptable.
    case c = "C"
    /// Damaged, repairable.
    case d = "D"
    /// Unsellable: missing parts, destroyed.
    case x = "X"
    /// Not the item that was ordered.
    case wrongItem = "wrong_item"
    /// The parcel held nothing.
    case emptyBox = "empty_box"

    /// Whether the customer is refunded for an item of this grade.
    public var isRefundable: Bool { self != .wrongItem && self != .emptyBox }
}

/// Where a returned item goes next.
public enum Disposition: String, Sendable, Hashable, CaseIterable, Codable {
    case restock
    case openBox = "open_box"
    case refurbish
    case liquidate
    case returnToVendor = "return_to_vendor"
    case donate
    case recycle
    case destroy

    /// Whether the item goes back into sellable stock, so the retailer's inventory must hear of it.
    public var isRestock: Bool { self == .restock || self == .openBox }
}
