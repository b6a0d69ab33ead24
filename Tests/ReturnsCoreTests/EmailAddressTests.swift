import ReturnsCore
import Testing

@Suite("Email addresses")
struct EmailAddressTests {
    @Test("addresses customers have are accepted", arguments: [
        "ana@example.com", "a.b+returns@mail.example.co.uk", "o'brien@example.ie", "x_y-z@sub-domain.example.org",
        "1234@example.de",
    ])
    func accepted(address: String) {
        #expect(EmailAddress(address) != nil)
    }

    @Test("anything else is refused", arguments: [
        "", "ana", "@example.com", "ana@", "ana@example", "ana@@example.com", "a..b@example.com", ".a@example.com",
        "a.@example.com", "ana@-example.com", "ana@example-.com", "ana@example.c0m", "ana example@example.com",
        "\"ana\"@example.com", "ana@exa_mple.com", "zoë@example.com", "ana@exämple.com",
        "x\r\nBcc:evil@attacker.com", "x@example.com\r\nBcc: evil@attacker.com", "x@example.com\n", "x\u{0}@example.com",
    ])
    func refused(address: String) {
        #expect(EmailAddress(address) == nil)
    }

    @Test("no control character passes, anywhere in the address")
    func controlCharacters() {
        for value in Array(0..<32) + [127] {
            let control = String(Unicode.Scalar(UInt8(value)))
            for address in [control + "a@example.com", "a" + control + "@example.com", "a@exam" + control + "ple.com",
                "a@example.com" + control]
            {
                #expect(EmailAddress(address) == nil, "U+\(String(value, radix: 16))")
            }
        }
    }
}
