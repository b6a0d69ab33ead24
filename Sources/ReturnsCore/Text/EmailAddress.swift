/// A customer's email address, checked against the addr-spec of RFC 5322 (dot-atom form, no quoted local parts,
/// no comments) with a host name of letters, digits and hyphens. No control character, space or line break can
/// pass, so an address is always safe to write into a mail header.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.text = text
    }

    public var description: String { text }

    /// The characters of RFC 5322's atext.
    static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".unicodeScalars)

    static func isValid(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= 254, let at = scalars.lastIndex(of: "@") else { return false }
        let local = scalars[..<at]
        let domain = scalars[(at + 1)...]
        guard (1...64).contains(local.count), !domain.isEmpty else { return false }
        // Dot-atom: atoms of atext separated by single dots.
        let atoms = local.split(separator: ".", omittingEmptySubsequences: false)
        guard atoms.allSatisfy({ !$0.isEmpty && $0.allSatisfy(atext.contains) }) else { return false }
        // Host name: two or more labels of letters, digits and inner hyphens, 1 to 63 each.
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != "-", label.last != "-",
                label.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") })
            else { return false }
        }
        return labels.last!.allSatisfy { $0.properties.isAlphabetic }
    }
}
