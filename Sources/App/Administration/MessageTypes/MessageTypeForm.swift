import Domain
import Vapor

/// What the message type form posts: a checkbox per starter, per recipient kind and per pool (`pool_<id>`).
struct MessageTypeForm: Content {
    var version: String?
    var name: String?
    var description: String?
    var startPatient: String?
    var startProxy: String?
    var startCareTeam: String?
    var offersCareTeam: String?
    var allowsConfidentiality: String?
    var allowsAttachments: String?
    var pools: Set<UUID> = []

    enum CodingKeys: String, CodingKey {
        case version, name, description
        case startPatient = "start_patient"
        case startProxy = "start_proxy"
        case startCareTeam = "start_care_team"
        case offersCareTeam = "offers_care_team"
        case allowsConfidentiality = "allows_confidentiality"
        case allowsAttachments = "allows_attachments"
    }

    static let blank = MessageTypeForm(
        startPatient: "on", startProxy: "on", startCareTeam: "on", offersCareTeam: "on", allowsConfidentiality: "on",
        allowsAttachments: "on")

    init(
        version: String? = nil, name: String? = nil, description: String? = nil, startPatient: String? = nil,
        startProxy: String? = nil, startCareTeam: String? = nil, offersCareTeam: String? = nil,
        allowsConfidentiality: String? = nil, allowsAttachments: String? = nil, pools: Set<UUID> = []
    ) {
        self.version = version
        self.name = name
        self.description = description
        self.startPatient = startPatient
        self.startProxy = startProxy
        self.startCareTeam = startCareTeam
        self.offersCareTeam = offersCareTeam
        self.allowsConfidentiality = allowsConfidentiality
        self.allowsAttachments = allowsAttachments
        self.pools = pools
    }

    init(_ type: AdminMessageTypeResponse) {
        func on(_ value: Bool) -> String? { value ? "on" : nil }
        self.init(
            version: String(type.version), name: type.name, description: type.description,
            startPatient: on(type.startedBy.contains("patient")), startProxy: on(type.startedBy.contains("proxy")),
            startCareTeam: on(type.startedBy.contains("care_team")), offersCareTeam: on(type.offersCareTeam),
            allowsConfidentiality: on(type.allowsConfidentiality), allowsAttachments: on(type.allowsAttachments),
            pools: Set(type.pools.map(\.id)))
    }

    static func decode(_ request: Request) throws -> MessageTypeForm {
        var form = try request.content.decode(MessageTypeForm.self)
        let values = (try? request.content.decode([String: String].self)) ?? [:]
        form.pools = Set(
            values.compactMap { key, value in
                key.hasPrefix("pool_") && value == "on" ? UUID(uuidString: String(key.dropFirst(5))) : nil
            })
        return form
    }

    var input: AdminMessageTypeInput {
        var starters: [String] = []
        if startPatient == "on" { starters.append(ConversationSide.patient.rawValue) }
        if startProxy == "on" { starters.append(ConversationSide.proxy.rawValue) }
        if startCareTeam == "on" { starters.append(ConversationSide.careTeam.rawValue) }
        return AdminMessageTypeInput(
            name: name ?? "", description: description ?? "", startedBy: starters,
            offersCareTeam: offersCareTeam == "on", poolIds: pools.sorted { $0.uuidString < $1.uuidString },
            allowsConfidentiality: allowsConfidentiality == "on", allowsAttachments: allowsAttachments == "on")
    }

    static func startersText(_ startedBy: [String]) -> String {
        let labels = ["patient": "Patients", "proxy": "Proxies", "care_team": "Care team"]
        return startedBy.compactMap { labels[$0] }.joined(separator: ", ")
    }

    static func recipientsText(_ type: AdminMessageTypeResponse) -> String {
        var parts = type.offersCareTeam ? ["Care team providers"] : []
        parts += type.pools.map { $0.retired ? "\($0.name) (retired)" : $0.name }
        return parts.joined(separator: ", ")
    }
}

/// The new and edit page of a message type.
struct MessageTypePage: Encodable {
    struct PoolChoice: Encodable {
        let name: String
        let label: String
        let checked: Bool
    }

    let layout: LayoutModel
    let type: AdminMessageTypeResponse?
    let form: MessageTypeForm
    let pools: [PoolChoice]
    let errors: [String: String]
    let errorSummary: [ErrorSummaryItem]

    init(
        layout: LayoutModel, type: AdminMessageTypeResponse?, form: MessageTypeForm,
        pools: [AdminMessageTypePoolResponse], error: AdministrationError?
    ) {
        self.layout = layout
        self.type = type
        self.form = form
        // A retired pool is offered only where the type already names it, so it can be taken off.
        self.pools = pools.filter { !$0.retired || form.pools.contains($0.id) }.map {
            PoolChoice(
                name: "pool_\($0.id.uuidString)", label: $0.retired ? "\($0.name) (retired)" : $0.name,
                checked: form.pools.contains($0.id))
        }
        let field: String? =
            switch error?.field {
            case "startedBy": "start"
            case "poolIds": "recipients"
            default: error?.field
            }
        errors = error.map { [field ?? "form": $0.message] } ?? [:]
        errorSummary = ErrorSummaryItem.list(
            errors, order: ["form", "name", "description", "start", "recipients"],
            targets: ["start": "start-error", "recipients": "recipients-error"])
    }
}
