import Telemetry

/// A topic template from the command line, checked once: exactly one placeholder, valid levels.
struct TopicOption: Sendable {
    let template: TopicTemplate
    let option: String
    let placeholder: String

    init(_ text: String, option: String, placeholder: String) throws {
        do {
            template = try TopicTemplate(text)
        } catch {
            throw EmulatorError("\(option): \(error)")
        }
        guard template.placeholders == [placeholder] else {
            throw EmulatorError("\(option) \(text.debugDescription) must contain exactly one placeholder, {\(placeholder)}")
        }
        self.option = option
        self.placeholder = placeholder
    }

    /// The topic for one id (a device, an emulator).
    func render(_ value: String) throws -> String {
        do {
            return try template.render([placeholder: value])
        } catch {
            throw EmulatorError("\(option): \(error)")
        }
    }

    func render(_ values: [String]) throws -> [String] { try values.map { try render($0) } }
}
