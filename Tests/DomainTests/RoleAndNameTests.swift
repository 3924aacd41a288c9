import Domain
import Testing

struct RoleAndNameTests {
    @Test(arguments: [
        ([Role.patient], LandingPage.today), ([.proxy], .today), ([.patient, .proxy], .today),
        ([.provider], .careTeam), ([.staff], .careTeam), ([.provider, .patient], .today),
        ([.admin], .administration), ([.admin, .staff], .careTeam), ([], .administration),
    ])
    func eachRoleLandsOnItsHome(roles: [Role], landing: LandingPage) {
        #expect(LandingPage.for(Set(roles)) == landing)
    }

    @Test(arguments: [
        (PersonName(name: "Maya Chen", title: "Dr."), "Dr. Maya Chen"),
        (PersonName(name: "Nina Torres", credentials: "RN"), "Nina Torres, RN"),
        (PersonName(name: "Alex Rivera"), "Alex Rivera"),
    ])
    func displayNamesReadAsOnAName(name: PersonName, expected: String) {
        #expect(name.displayName == expected)
    }

    @Test(
        arguments: [
            ("/today", "/today"), ("/messages?folder=sent", "/messages?folder=sent"), ("//evil.example", nil),
            ("https://evil.example", nil), ("/\\evil.example", nil), ("today", nil), (nil, nil), ("/sign-in", nil),
            ("/today\r\nSet-Cookie: x", nil),
        ] as [(String?, String?)])
    func returnPathsStayOnThisSite(candidate: String?, accepted: String?) {
        #expect(ReturnPath(candidate)?.path == accepted)
    }
}
