import Foundation
import Hummingbird
import ReturnsCore

/// What every customer page carries: a strict Content-Security-Policy (no inline script or style, nothing from
/// another origin, no framing), no Referer to anyone (the status token is in the page's address), no caching of
/// pages that show a return, and the form token that refuses a form posted from another site.
///
/// The form token is a double-submit cookie: a random value in an HttpOnly, SameSite=Strict cookie and in a hidden
/// field of each form; a POST whose two values differ (or lack either) changes nothing. Another site can make a
/// browser post a form, but can neither read the cookie nor set it.
struct PageSecurity: Sendable {
    static let cookieName = "returns_form"
    static let fieldName = "form_token"

    /// Whether cookies are marked Secure: the service is reached over TLS (its public address is https).
    let secureCookies: Bool

    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    /// The form token of this browser: the cookie's when it has a well-formed one, else a new one to set.
    func token(of request: Request) -> (value: String, isNew: Bool) {
        if let value = Self.cookie(Self.cookieName, in: request), value.count == 43,
            value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        {
            return (value, false)
        }
        return (RandomToken.urlSafe(), true)
    }

    /// Whether a posted form carries this browser's token.
    func accepts(_ form: FormBody, from request: Request) -> Bool {
        guard let cookie = Self.cookie(Self.cookieName, in: request), let field = form[Self.fieldName],
            cookie.utf8.count == field.utf8.count
        else { return false }
        // Compared in constant time: the token is a secret.
        return zip(cookie.utf8, field.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The headers of an HTML page; sets the form token's cookie when the browser has none yet.
    func headers(token: (value: String, isNew: Bool)? = nil) -> HTTPFields {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .contentSecurityPolicy: Self.contentSecurityPolicy,
        ]
        headers[HTTPFields.Element.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPFields.Element.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPFields.Element.Name("X-Frame-Options")!] = "DENY"
        if let token, token.isNew {
            headers[.setCookie] =
                "\(Self.cookieName)=\(token.value); Path=/; HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
        }
        return headers
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}
