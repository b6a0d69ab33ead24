import Foundation
import ReturnsCore
import ReturnsEngine

/// The printable return authorisation: the return's reference as a Code 128 barcode the partner scans, where to
/// send the parcel, what goes in it and by when. A return the customer keeps says that nothing is to be sent.
/// The print stylesheet leaves out everything but the authorisation, on A4 as on letter.
enum AuthorisationPage {
    typealias Page = CustomerPage

    static func render(_ status: CustomerStatus, token: String, locale: PageLocale, address: [String]) -> String {
        let reference = status.returnID ?? ""
        var body = """
            <h1>\(locale.text("label_title"))</h1>
            <p class="order">\(locale.text("order")) \(Page.escape(status.orderRef))</p>
            """
        guard status.isShipped else {
            body += "\n<p class=\"notice\">\(locale.text("label_keep_it"))</p>"
            body += "\n<p class=\"actions\"><a href=\"/status/\(Page.escape(token))\">\(locale.text("back_to_status"))</a></p>"
            return Page.document(locale, title: locale.text("label_title"), body: body, switchTo: "/status/\(token)/label")
        }
        body += "\n<h2>\(locale.text("label_reference"))</h2>"
        if let barcode = Code128(reference) {
            body += barcode.svg(label: "\(locale.texts.label("label_reference")) \(reference)")
        }
        body += "\n<p class=\"reference\">\(Page.escape(reference))</p>"
        if !address.isEmpty {
            body += "\n<h2>\(locale.text("label_ship_to"))</h2><address>\(address.map(Page.escape).joined(separator: "\n"))</address>"
        }
        if let due = status.expectedBy, status.canCancel {
            body += "\n<h2>\(locale.text("label_ship_by"))</h2><p>\(Page.time(due, locale, precise: false))</p>"
        }
        body += "\n<h2>\(locale.text("label_items"))</h2><ul class=\"items\">"
        for line in status.lines {
            body += "\n<li>\(Page.escape(line.sku)) × \(line.quantity)</li>"
        }
        body += """

            </ul>
            <p>\(locale.text("label_instructions"))</p>
            <div class="actions"><button type="button" data-print hidden>\(locale.text("print"))</button> \
            <a href="/status/\(Page.escape(token))">\(locale.text("back_to_status"))</a></div>
            """
        return Page.document(
            locale, title: locale.text("label_title"), body: body, switchTo: "/status/\(token)/label", script: true)
    }
}
