import Foundation

/// Secrets this service makes: random bytes from SystemRandomNumberGenerator (the kernel's cryptographic source).
public enum RandomToken {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// 32 random bytes, base64url without padding (43 characters): not guessable, safe in a URL, a cookie or a form.
    public static func urlSafe() -> String {
        bytes(32).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
