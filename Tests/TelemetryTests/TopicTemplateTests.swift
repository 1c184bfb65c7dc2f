import Telemetry
import Testing

@Suite("Topic templates")
struct TopicTemplateTests {
    @Test("Render, filter and match the default telemetry topic")
    func telemetry() throws {
        let template = Topics.defaults.telemetry
        #expect(template.placeholders == ["device"])
        #expect(try template.render(["device": "pump-01"]) == "sensors/pump-01/telemetry")
        #expect(template.filter() == "sensors/+/telemetry")
        #expect(template.filter(fixing: ["device": "pump-01"]) == "sensors/pump-01/telemetry")
        #expect(template.match("sensors/pump-01/telemetry") == ["device": "pump-01"])
        #expect(template.match("sensors/pump-01/truth") == nil)
        #expect(template.match("sensors/pump-01/telemetry/extra") == nil)
        #expect(template.match("sensors//telemetry") == nil)
        #expect(template.match("sensors/telemetry") == nil)
    }

    @Test("Several placeholders")
    func several() throws {
        let template = try TopicTemplate("plant/{site}/{device}/data")
        #expect(template.filter() == "plant/+/+/data")
        #expect(template.match("plant/north/pump-7/data") == ["site": "north", "device": "pump-7"])
        #expect(try template.render(["site": "north", "device": "pump-7"]) == "plant/north/pump-7/data")
    }

    @Test("Every default topic is a valid template", arguments: [
        Topics.defaults.telemetry, Topics.defaults.truth, Topics.defaults.anomaly, Topics.defaults.health,
        Topics.defaults.status, Topics.defaults.errors, Topics.defaults.control,
    ])
    func defaults(template: TopicTemplate) throws {
        #expect(try TopicTemplate(template.template) == template)
        #expect(template.placeholders.count == 1)
    }

    @Test("Invalid templates are refused with a reason", arguments: [
        "", "sensors/#", "sensors/+/telemetry", "sensors/x{device}/t", "sensors/{dev-ice}/t", "sensors/{device",
    ])
    func invalid(text: String) {
        #expect(throws: TopicTemplateError.self) { try TopicTemplate(text) }
    }

    @Test("Values that are not one safe topic level are refused", arguments: [
        "", "a/b", "a+b", "#", "..", ".", "$SYS", "bad\u{0}id", "tab\tid", "del\u{7F}", "c1\u{85}next", String(repeating: "x", count: 129),
        "cafe\u{301}",  // decomposed: equal to "café" for Swift, a different topic for the broker
    ])
    func unsafeLevel(value: String) {
        #expect(TopicLevel.problem(with: value) != nil)
        #expect(throws: TopicTemplateError.self) { try Topics.defaults.anomaly.render(["device": value]) }
    }

    @Test("Ordinary ids are accepted", arguments: ["pump-01", "motor_7", "engine.3", "Pumpe-S\u{FC}d", "caf\u{E9}", "泵-3", "a$b"])
    func safeLevel(value: String) {
        #expect(TopicLevel.problem(with: value) == nil)
    }

    @Test("Levels split and compare by bytes, as MQTT does")
    func bytewise() throws {
        let template = try TopicTemplate("caf\u{E9}/{device}/t")
        #expect(template.value(of: "device", in: "caf\u{E9}/p\u{FC}mp/t") == "p\u{FC}mp")
        // The same text decomposed is another topic to a broker.
        #expect(template.match("cafe\u{301}/pump/t") == nil)
        // A slash followed by a combining mark still ends a level.
        #expect(template.match("caf\u{E9}/pump/\u{301}t") == nil)
        #expect(template.value(of: "device", in: "caf\u{E9}/a\u{301}/t") == "a\u{301}")
    }

    @Test("A missing value is an error, not an empty level")
    func missingValue() {
        #expect(throws: TopicTemplateError.self) { try Topics.defaults.anomaly.render([:]) }
    }
}
