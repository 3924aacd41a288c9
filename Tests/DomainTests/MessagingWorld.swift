import Domain
import Foundation
import Testing

/// The demo organisation's people, pools and message types as plain values, for rule tables.
enum World {
    static let alex = UserID(UUID())
    static let jordan = UserID(UUID())
    static let sam = UserID(UUID())
    static let chen = UserID(UUID())
    static let haddad = UserID(UUID())
    static let park = UserID(UUID())
    static let torres = UserID(UUID())
    static let okafor = UserID(UUID())
    static let admin = UserID(UUID())
    static let stranger = UserID(UUID())

    static let nurseTriage = PoolID(UUID())
    static let billingOffice = PoolID(UUID())

    static let generalMessage = MessageTypeRule(
        id: .init(UUID()), offersCareTeam: true, pools: [], allowsConfidentiality: true, allowsAttachments: true)
    static let medicalQuestion = MessageTypeRule(
        id: .init(UUID()), offersCareTeam: true, pools: [nurseTriage], allowsConfidentiality: true,
        allowsAttachments: true)
    static let prescriptionRenewal = MessageTypeRule(
        id: .init(UUID()), offersCareTeam: true, pools: [], allowsConfidentiality: true, allowsAttachments: true)
    static let billingQuestion = MessageTypeRule(
        id: .init(UUID()), offersCareTeam: false, pools: [billingOffice], allowsConfidentiality: false,
        allowsAttachments: true)
    static let appointmentRequest = MessageTypeRule(
        id: .init(UUID()), offersCareTeam: false, pools: [nurseTriage], allowsConfidentiality: true,
        allowsAttachments: true)

    static let since2020 = ActivePeriod(from: CalendarDate("2020-01-01")!)
    static let alexRelationships = [
        CareRelationshipFact(providerID: chen, period: since2020),
        CareRelationshipFact(providerID: haddad, period: since2020),
    ]

    static let today = CalendarDate("2026-11-24")!

    enum Who: String, CaseIterable, CustomTestStringConvertible {
        case ownerPatient, otherPatient, proxyWithGrant, proxyWithoutGrant, proxyWithExpiredGrant, recipientProvider
        case otherProvider, poolMember, otherPoolMember, admin

        var testDescription: String { rawValue }

        var actor: MessagingActor {
            switch self {
            case .ownerPatient: MessagingActor(userID: alex, roles: [.patient])
            case .otherPatient: MessagingActor(userID: stranger, roles: [.patient])
            case .proxyWithGrant: MessagingActor(userID: jordan, roles: [.patient, .proxy], proxyFor: [alex, sam])
            case .proxyWithoutGrant: MessagingActor(userID: stranger, roles: [.proxy], proxyFor: [sam])
            case .proxyWithExpiredGrant: MessagingActor(userID: stranger, roles: [.proxy], proxyFor: [])
            case .recipientProvider: MessagingActor(userID: chen, roles: [.provider])
            case .otherProvider: MessagingActor(userID: park, roles: [.provider])
            case .poolMember: MessagingActor(userID: torres, roles: [.staff], pools: [nurseTriage])
            case .otherPoolMember: MessagingActor(userID: okafor, roles: [.staff], pools: [billingOffice])
            case .admin: MessagingActor(userID: World.admin, roles: [.admin])
            }
        }
    }
}
