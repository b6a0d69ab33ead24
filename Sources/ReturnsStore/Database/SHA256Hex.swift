import Crypto
import Foundation

/// The SHA-256 of UTF-8 text as lower-case hex: migration checksums, workflow pins, request fingerprints.
public func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
}
