import Domain
import Testing

struct RecipientEligibilityTests {
    /// Every demo message type, for Alex (relationships with Dr. Chen and Dr. Haddad, none with Dr. Park).
    @Test(
        arguments: [
            ("General Message", World.generalMessage, [.provider(World.chen), .provider(World.haddad)]),
            (
                "Medical Question", World.medicalQuestion,
                [.provider(World.chen), .provider(World.haddad), .pool(World.nurseTriage)]
            ),
            ("Prescription Renewal", World.prescriptionRenewal, [.provider(World.chen), .provider(World.haddad)]),
            ("Billing Question", World.billingQuestion, [.pool(World.billingOffice)]),
            ("Appointment Request", World.appointmentRequest, [.pool(World.nurseTriage)]),
        ] as [(String, MessageTypeRule, Set<Recipient>)])
    func eachDemoTypeOffersItsRecipients(name: String, type: MessageTypeRule, expected: Set<Recipient>) {
        let offered = RecipientEligibility.recipients(
            for: type, relationships: World.alexRelationships, on: World.today)
        #expect(offered == expected, "\(name)")
        #expect(!offered.contains(.provider(World.park)))
    }

    /// (relationship from, until, offered on 2026-11-24?)
    @Test(
        arguments: [
            ("2020-01-01", nil, true), ("2026-11-24", nil, true), ("2026-11-25", nil, false),
            ("2020-01-01", "2026-11-24", true), ("2020-01-01", "2026-11-23", false),
            ("2026-12-01", "2026-11-01", false),
        ] as [(String, String?, Bool)])
    func onlyRelationshipsInForceTodayCount(from: String, until: String?, offered: Bool) {
        let relationship = CareRelationshipFact(
            providerID: World.park,
            period: ActivePeriod(from: CalendarDate(from)!, until: until.flatMap(CalendarDate.init)))
        #expect(
            RecipientEligibility.isEligible(
                .provider(World.park), for: World.generalMessage, relationships: [relationship], on: World.today)
                == offered)
    }

    @Test func theExplanationEndsWithCallTheProvidersOffice() {
        #expect(RecipientEligibility.notEligibleExplanation.hasSuffix("call the provider's office."))
    }
}
