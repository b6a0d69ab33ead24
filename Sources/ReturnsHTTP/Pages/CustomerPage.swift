import Foundation
import ReturnsCore

/// The frame of every customer page (portal, status page, return authorisation): the language and direction, a
/// skip link, the language switch, one stylesheet and one small script from this service, and the page's body.
/// Everything a page puts in comes through `PageLocale.text` or `HTMLText.escape`.
enum CustomerPage {
    /// The page. `switchTo` is the address the language switch reloads (a GET page); nil leaves it out (a page
    /// that answers a posted form cannot be reloaded without its form). Only a page with a print button has `script`.
    static func document(
        _ locale: PageLocale, title: String, body: String, switchTo path: String? = nil, script: Bool = false
    ) -> String {
        var header = ""
        if let path, locale.available.count > 1 {
            let options = locale.available.map { code in
                "<option value=\"\(escape(code))\" lang=\"\(escape(code))\"\(code == locale.identifier ? " selected" : "")>"
                    + "\(escape(PageLocale.nativeName(code)))</option>"
            }.joined()
            header = """
                <form class="language" method="get" action="\(escape(path))">\
                <label for="lang">\(locale.text("language"))</label> \
                <select id="lang" name="lang">\(options)</select> \
                <button type="submit">\(locale.text("change_language"))</button></form>
                """
        }
        return frame(
            lang: locale.identifier, direction: locale.direction, title: title, skip: locale.text("skip_to_content"),
            header: header, body: body, script: script)
    }

    /// The HTML around every page of this service (customer pages and the console): language and direction, the one
    /// stylesheet, a skip link, the header and one `<main>`; `script` adds the print button's script.
    static func frame(
        lang: String, direction: String, title: String, skip: String, header: String, body: String,
        bodyClass: String? = nil, script: Bool = false
    ) -> String {
        """
        <!doctype html>
        <html lang="\(escape(lang))" dir="\(direction)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(title)</title>
        <link rel="stylesheet" href="/assets/returns.css">\(script ? "\n<script src=\"/assets/returns.js\" defer></script>" : "")
        </head>
        <body\(bodyClass.map { " class=\"\($0)\"" } ?? "")>
        <a class="skip" href="#main">\(skip)</a>
        <header>\(header)</header>
        <main id="main" tabindex="-1">
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// A `<time>` element: the moment machine-readable in `datetime`, the locale's wording as its text.
    static func time(_ date: Date, _ locale: PageLocale, precise: Bool) -> String {
        let machine = precise ? date.formatted(.iso8601) : date.formatted(.iso8601.year().month().day())
        return "<time datetime=\"\(machine)\">\(escape(precise ? locale.moment(date) : locale.day(date)))</time>"
    }

    /// The hidden field of a form's token.
    static func formToken(_ token: String) -> String {
        "<input type=\"hidden\" name=\"\(PageSecurity.fieldName)\" value=\"\(escape(token))\">"
    }

    static func hidden(_ name: String, _ value: String) -> String {
        "<input type=\"hidden\" name=\"\(escape(name))\" value=\"\(escape(value))\">"
    }

    /// The list of a form's errors above it, each linking to its field.
    static func errorSummary(_ errors: [FieldError], _ locale: PageLocale) -> String {
        guard !errors.isEmpty else { return "" }
        let items = errors.map { "<li><a href=\"#\(escape($0.field))\">\(escape($0.message))</a></li>" }.joined()
        return """
            <div class="errors" role="alert" tabindex="-1" id="errors"><h2>\(locale.text("error_summary"))</h2><ul>\(items)</ul></div>
            """
    }

    /// The error of `field` for its input's `aria-describedby`, and the message placed after the label.
    static func fieldError(_ field: String, in errors: [FieldError]) -> (attributes: String, message: String) {
        guard let error = errors.first(where: { $0.field == field }) else { return ("", "") }
        return (
            " aria-invalid=\"true\" aria-describedby=\"\(escape(field))-error\"",
            "<p class=\"field-error\" id=\"\(escape(field))-error\">\(escape(error.message))</p>"
        )
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    /// The stylesheet of the customer pages: readable from 360 px up, contrast of at least 4.5:1, a visible focus,
    /// mirrored by the logical properties for right-to-left languages, and a print layout for the authorisation.
    static let stylesheet = """
        *{box-sizing:border-box}
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:40rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a;background:#fff}
        h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem;color:#333}
        a{color:#0a4fa8}a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #0a4fa8;outline-offset:2px}
        .skip{position:absolute;inset-inline-start:-999px}.skip:focus{position:static}
        header{display:flex;justify-content:flex-end;margin-block-end:.5rem}
        .language{display:flex;gap:.4rem;align-items:center;font-size:.9rem}
        label{display:block;font-weight:600;margin:.75rem 0 .25rem}
        .language label{display:inline;margin:0;font-weight:400}
        input[type=text],input[type=email],input[type=number],select,textarea{font:inherit;padding:.5rem;border:1px solid #595959;border-radius:.3rem;width:100%;max-width:100%;background:#fff;color:#1a1a1a}
        input[type=number]{max-width:7rem}.language select{width:auto}
        textarea{min-height:5rem}
        .hint{color:#4d4d4d;font-size:.9rem;margin:.1rem 0}
        button{font:inherit;padding:.6rem 1.1rem;border-radius:.3rem;border:2px solid #0a4fa8;background:#0a4fa8;color:#fff;cursor:pointer;margin-block-start:1rem}
        button.secondary{background:#fff;color:#0a4fa8}button.danger{background:#fff;color:#a11d1d;border-color:#a11d1d}
        .language button{margin:0;padding:.25rem .6rem}
        fieldset{border:1px solid #8c8c8c;border-radius:.4rem;margin:1rem 0;padding:.75rem 1rem}
        legend{font-weight:600;padding:0 .3rem}
        .check{display:flex;gap:.5rem;align-items:center;font-weight:600}.check input{width:1.2rem;height:1.2rem}
        .choice{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;margin:.35rem 0}.choice input{margin-block-start:.35rem}
        .muted,.order,time{color:#4d4d4d}
        .refused{color:#6b3d00;background:#fff4e0;padding:.5rem;border-radius:.3rem}
        .errors{border:3px solid #a11d1d;padding:.5rem 1rem;border-radius:.4rem;margin:1rem 0}.errors h2{color:#a11d1d;margin-top:.3rem}
        .field-error{color:#a11d1d;font-weight:600;margin:.2rem 0}
        .notice{background:#e7f4ea;border-inline-start:4px solid #1e6b34;padding:.6rem 1rem;margin:1rem 0}
        table{border-collapse:collapse;width:100%}th,td{text-align:start;padding:.35rem .25rem;border-bottom:1px solid #d0d0d0;vertical-align:top}
        td.amount,th.amount{text-align:end;white-space:nowrap}tr.total td{font-weight:700}
        ol.timeline,ul.items{padding-inline-start:1.2rem}li{margin:.3rem 0}li time{display:block;font-size:.85rem}
        .amount{font-weight:600}
        .barcode{max-width:100%;height:auto;display:block;margin:.5rem 0}
        .reference{font-family:ui-monospace,monospace;font-size:1.05rem;word-break:break-all}
        address{font-style:normal;white-space:pre-line;border:1px solid #8c8c8c;padding:.75rem;border-radius:.3rem}
        .actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center}
        [hidden]{display:none}
        body.console{max-width:72rem}.nav{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0;margin:0 0 .5rem}
        nav form{display:flex;gap:.5rem;align-items:center}nav form button{margin:0;padding:.25rem .6rem}
        .filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.5rem 1rem;align-items:end}
        .facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}.facts dt{font-weight:600}.facts dd{margin:0}
        .actions-box form{border:1px solid #8c8c8c;border-radius:.4rem;padding:.5rem 1rem;margin:.5rem 0}
        .chart{width:100%;max-width:40rem;height:auto}caption{text-align:start;font-weight:600;padding:.5rem 0}
        @media print{header,.skip,.actions,form{display:none}body{max-width:none;padding:0}@page{margin:15mm}}
        """

    /// The only script: the authorisation's print button, shown once the script runs (without it, the browser's
    /// own print command prints the page).
    static let script = """
        document.addEventListener('DOMContentLoaded', function () {
          document.querySelectorAll('[data-print]').forEach(function (button) {
            button.hidden = false;
            button.addEventListener('click', function () { window.print(); });
          });
        });
        """
}

/// A form field's error, shown next to the field and in the summary above the form.
struct FieldError: Error, Sendable, Hashable {
    var field: String
    var message: String
}
