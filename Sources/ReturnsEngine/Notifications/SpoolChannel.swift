import Foundation

/// Writes each notification as an RFC 5322 message (`<message id>.eml`) into a directory that a mail transfer
/// agent picks up. The file appears whole or not at all: it is written under a temporary name and renamed. A
/// message delivered again replaces its own file, so the spool holds it once.
public struct SpoolChannel: NotificationChannel {
    public let name = "spool"
    public let directory: URL
    let from: String
    /// The right-hand side of every `Message-ID`: the public URL's host, so ids are unique beyond this service.
    let messageIDDomain: String

    public init(
        directory: URL, from: String = "Returns <returns@localhost>", messageIDDomain: String = "localhost"
    ) throws(DeliveryError) {
        self.directory = directory
        self.from = from
        self.messageIDDomain = messageIDDomain
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DeliveryError("cannot create the spool directory \(directory.path): \(error.localizedDescription)")
        }
    }

    public func deliver(_ notification: OutgoingNotification) async throws {
        let message = try Self.message(notification, from: from, messageIDDomain: messageIDDomain, date: Date())
        let name = notification.messageID.uuidString.lowercased()
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        let final = directory.appendingPathComponent("\(name).eml")
        do {
            try Data(message.utf8).write(to: temporary)
            // rename(2) replaces the target atomically; an MTA never sees half a file.
            guard rename(temporary.path, final.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw DeliveryError("cannot rename \(temporary.lastPathComponent) to \(final.path): \(reason)")
            }
        } catch let error as DeliveryError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw DeliveryError("cannot write \(temporary.path): \(error.localizedDescription)")
        }
    }

    /// The message text: headers, then a multipart/alternative body with a text and an HTML part, CRLF lines.
    /// A header value with a control character (a line break would start a header of its own) is refused, not sent.
    public static func message(
        _ notification: OutgoingNotification, from: String, messageIDDomain: String = "localhost", date: Date
    ) throws(DeliveryError) -> String {
        for (name, value) in [
            ("From", from), ("To", notification.to), ("Content-Language", notification.locale),
            ("X-Returns-Template", notification.template),
        ] where value.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 }) {
            throw DeliveryError("the \(name) header would hold a control character or line break; not sent")
        }
        // RFC 5322 id-right: a dot-atom (a host name or an IPv4 address), nothing a header could be split with.
        guard !messageIDDomain.isEmpty,
            messageIDDomain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
        else {
            throw DeliveryError("'\(messageIDDomain)' cannot be the domain of a Message-ID; not sent")
        }
        let id = notification.messageID.uuidString.lowercased()
        let boundary = "returns-\(id)"
        var lines = [
            "From: \(from)",
            "To: \(notification.to)",
            "Subject: \(encodedWord(notification.rendered.subject))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(id)@\(messageIDDomain)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "Content-Language: \(notification.locale)",
            "X-Returns-Return-Id: \(notification.returnID.uuidString.lowercased())",
            "X-Returns-Template: \(notification.template)",
            "",
        ]
        for (type, body) in [("text/plain", notification.rendered.text), ("text/html", notification.rendered.html)] {
            lines += [
                "--\(boundary)",
                "Content-Type: \(type); charset=utf-8",
                "Content-Transfer-Encoding: base64",
                "",
            ]
            lines += base64Lines(canonicalLineBreaks(body))
        }
        lines += ["--\(boundary)--", ""]
        return lines.joined(separator: "\r\n")
    }

    /// RFC 2047: a header with non-ASCII text is sent as `=?UTF-8?B?...?=` words.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII || $0.value < 32 }) else { return text }
        // Each encoded word stays within 75 characters: 45 bytes of text become 60 of base64. Split on characters,
        // never inside one, so every word decodes on its own.
        var words: [String] = []
        var chunk = ""
        for character in text {
            if (chunk + String(character)).utf8.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk.utf8).base64EncodedString())?=")
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk.utf8).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// RFC 2046 canonical form of a text part: every line break CRLF (templates are edited with bare LF).
    static func canonicalLineBreaks(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                scalars.append(contentsOf: "\r\n".unicodeScalars)
                afterCR = true
            case "\n":
                if !afterCR { scalars.append(contentsOf: "\r\n".unicodeScalars) }
                afterCR = false
            default:
                scalars.append(scalar)
                afterCR = false
            }
        }
        return String(scalars)
    }

    static func base64Lines(_ text: String) -> [String] {
        let encoded = Data(text.utf8).base64EncodedString()
        return stride(from: 0, to: encoded.count, by: 76).map { start in
            let from = encoded.index(encoded.startIndex, offsetBy: start)
            let to = encoded.index(from, offsetBy: min(76, encoded.count - start))
            return String(encoded[from..<to])
        }
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
