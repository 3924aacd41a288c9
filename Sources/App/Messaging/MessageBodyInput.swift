import Domain
import Foundation

/// A message body as clients send it: plain text (a JSON string) or a rich-text document (a JSON object).
enum MessageBodyInput: Codable, Equatable, Sendable {
    case text(String)
    case document(RichTextDocument)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .document(try container.decode(RichTextDocument.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .document(let document): try container.encode(document)
        }
    }

    var document: RichTextDocument {
        switch self {
        case .text(let text): RichTextDocument(plainText: text)
        case .document(let document): document
        }
    }

    /// The validated document, or a 422 naming the body.
    func validated() throws -> RichTextDocument {
        let document = self.document
        do {
            try document.validate()
        } catch {
            throw MessagingError.invalidBody(error)
        }
        return document
    }
}

enum SubjectInput {
    /// Trimmed; empty means none. At most 200 characters, no control characters.
    static func clean(_ subject: String?) throws -> String? {
        guard let trimmed = subject?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else {
            return nil
        }
        guard trimmed.count <= 200 else { throw MessagingError.subjectTooLong }
        let cleaned = String(
            String.UnicodeScalarView(
                trimmed.unicodeScalars.filter {
                    !($0.value < 0x20 || $0.value == 0x7F || (0x202A...0x202E).contains($0.value)
                        || (0x2066...0x2069).contains($0.value))
                }))
        return cleaned.isEmpty ? nil : cleaned
    }
}

extension RichTextDocument {
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    static func fromJSON(_ text: String) -> RichTextDocument? {
        try? JSONDecoder().decode(RichTextDocument.self, from: Data(text.utf8))
    }
}
