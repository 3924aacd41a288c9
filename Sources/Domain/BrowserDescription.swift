/// A browser and system named from a `User-Agent`, as a person would recognise their own ("Chrome on Android"), for the
/// list of recent sign-ins. Only this short name is kept, never the whole header.
public enum BrowserDescription {
    public static func describe(_ userAgent: String?) -> String {
        guard let agent = userAgent, !agent.isEmpty else { return "Unknown browser" }
        let browser = first(
            in: agent,
            [
                ("Edg/", "Edge"), ("EdgiOS/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
                ("curl/", "curl"),
            ])
        let system = first(
            in: agent,
            [
                ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
                ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
            ])
        switch (browser, system) {
        case (let browser?, let system?): return "\(browser) on \(system)"
        case (let browser?, nil): return browser
        case (nil, let system?): return "A browser on \(system)"
        case (nil, nil): return "Unknown browser"
        }
    }

    private static func first(in agent: String, _ markers: [(String, String)]) -> String? {
        markers.first { agent.contains($0.0) }?.1
    }
}
