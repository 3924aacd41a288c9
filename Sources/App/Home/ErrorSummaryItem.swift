/// One line of a page's error summary: the message, linked to the field it is about, so that following it puts the
/// cursor there (WCAG 3.3.1 and 2.4.3, the GOV.UK pattern). The summary itself takes focus when the page loads
/// (`autofocus`), and `ErrorTitleMiddleware` starts the page's title with "Error: ".
struct ErrorSummaryItem: Encodable, Equatable {
    let message: String
    /// `#id` of the field; nil for an error about the whole form.
    let href: String?

    /// `errors` by field, in `order` (the fields' order on the page), then any others. A field's element has the
    /// field's name as its id unless `targets` names another (a group's first choice, say); `form` is no field.
    static func list(_ errors: [String: String], order: [String], targets: [String: String] = [:])
        -> [ErrorSummaryItem]
    {
        let keys = order.filter { errors[$0] != nil } + errors.keys.filter { !order.contains($0) }.sorted()
        return keys.map { key in
            ErrorSummaryItem(message: errors[key]!, href: key == "form" ? nil : "#" + (targets[key] ?? key))
        }
    }
}
