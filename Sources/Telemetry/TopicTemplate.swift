import Foundation

/// A topic with named placeholders that each stand for exactly one topic level, such as
/// `sensors/{device}/telemetry` or `alerts/agent/{agent}/health`.
///
/// A template renders a concrete topic, turns into a subscription filter (each placeholder
/// becomes `+`), and matches incoming topics, capturing the placeholder values.
public struct TopicTemplate: Sendable, Hashable, CustomStringConvertible, Codable {
    enum Level: Sendable, Hashable {
        case literal(String)
        case placeholder(String)
    }

    public let template: String
    let levels: [Level]

    /// - Throws: `TopicTemplateError` if a placeholder does not fill its whole level, is unnamed or
    ///   unbalanced, or the template contains MQTT wildcards (`+`, `#`).
    public init(_ template: String) throws(TopicTemplateError) {
        guard !template.isEmpty else { throw TopicTemplateError(template: template, reason: "is empty") }
        var levels: [Level] = []
        for raw in template.split(separator: "/", omittingEmptySubsequences: false) {
            let level = String(raw)
            if level.hasPrefix("{") && level.hasSuffix("}") && level.count > 2 {
                let name = String(level.dropFirst().dropLast())
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw TopicTemplateError(template: template, reason: "placeholder {\(name)} may contain only letters, digits and _")
                }
                levels.append(.placeholder(name))
            } else if level.contains("{") || level.contains("}") {
                throw TopicTemplateError(template: template, reason: "a placeholder must fill a whole topic level, as in a/{device}/b")
            } else if level.contains("+") || level.contains("#") {
                throw TopicTemplateError(template: template, reason: "wildcards + and # are not allowed; use a placeholder")
            } else {
                levels.append(.literal(level))
            }
        }
        self.template = template
        self.levels = levels
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(template)
    }

    public var description: String { template }

    /// The placeholder names, in order.
    public var placeholders: [String] {
        levels.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// The subscription filter: every placeholder not given in `fixed` becomes `+`.
    public func filter(fixing fixed: [String: String] = [:]) -> String {
        levels.map { level in
            switch level {
            case .literal(let text): text
            case .placeholder(let name): fixed[name] ?? "+"
            }
        }.joined(separator: "/")
    }

    /// The concrete topic, with every placeholder replaced.
    /// - Throws: `TopicTemplateError` when a value is missing or is not a valid single topic level.
    public func render(_ values: [String: String]) throws(TopicTemplateError) -> String {
        var parts: [String] = []
        parts.reserveCapacity(levels.count)
        for level in levels {
            switch level {
            case .literal(let text): parts.append(text)
            case .placeholder(let name):
                guard let value = values[name] else {
                    throw TopicTemplateError(template: template, reason: "no value for {\(name)}")
                }
                if let problem = TopicLevel.problem(with: value) {
                    throw TopicTemplateError(template: template, reason: "{\(name)} = \(value.debugDescription) \(problem)")
                }
                parts.append(value)
            }
        }
        return parts.joined(separator: "/")
    }

    /// The placeholder values if `topic` fits this template, otherwise nil.
    public func match(_ topic: String) -> [String: String]? {
        var captures: [String: String] = [:]
        let matched = match(topic) { name, value in captures[name] = String(value) }
        return matched ? captures : nil
    }

    /// The value of one placeholder if `topic` fits this template: the hot path's way to find the
    /// device in a telemetry topic, walking the bytes without splitting the topic into an array.
    public func value(of placeholder: String, in topic: String) -> String? {
        var found: Substring?
        let matched = match(topic) { name, value in if name == placeholder { found = value } }
        return matched ? found.map(String.init) : nil
    }

    /// Walks the topic's UTF-8 bytes, as MQTT does: levels split at every `/` byte and literals compare
    /// byte for byte (String's `==` would equate canonically equivalent spellings the broker keeps apart,
    /// and splitting by Character costs grapheme breaking on every message).
    private func match(_ topic: String, capture: (String, Substring) -> Void) -> Bool {
        let bytes = topic.utf8
        var levelStart = bytes.startIndex
        var index = 0
        while true {
            let levelEnd = bytes[levelStart...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            guard index < levels.count else { return false }
            let level = bytes[levelStart..<levelEnd]
            switch levels[index] {
            case .literal(let text): guard level.elementsEqual(text.utf8) else { return false }
            case .placeholder(let name):
                guard !level.isEmpty else { return false }
                capture(name, Substring(level))
            }
            index += 1
            guard levelEnd < bytes.endIndex else { break }
            levelStart = bytes.index(after: levelEnd)
        }
        return index == levels.count
    }
}

/// A template that cannot be used, and why.
public struct TopicTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public let template: String
    public let reason: String
    public var description: String { "topic template \(template.debugDescription): \(reason)" }
}

/// Rules for a value that becomes one topic level (a device id, an agent id).
public enum TopicLevel {
    /// The longest id accepted; long enough for any asset tag, short enough for metric labels and file names.
    public static let maximumLength = 128

    /// Why `value` cannot be a single topic level (and so cannot safely reach a topic, a file name or a
    /// metric label), or nil if it can.
    public static func problem(with value: String) -> String? {
        if value.isEmpty { return "is empty" }
        if value.utf8.count > maximumLength { return "is longer than \(maximumLength) bytes" }
        if value == "." || value == ".." { return "is a relative path" }
        var ascii = true
        for scalar in value.unicodeScalars {
            if scalar.value >= 0x80 { ascii = false }
            switch scalar {
            case "/": return "contains '/', which would split it into topic levels"
            case "+", "#": return "contains the MQTT wildcard '\(scalar)'"
            case "$" where value.utf8.first == UInt8(ascii: "$"): return "starts with '$', which MQTT reserves for the broker"
            default:
                // Unicode's control characters (category Cc) are exactly C0, DEL and C1: a range check,
                // not a property lookup per character of every message's device id.
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    return "contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))"
                }
            }
        }
        // Swift compares strings by canonical equivalence, so "café" spelt with é and with e + U+0301 would be
        // one device to the agent and two to the broker. Only the composed spelling (NFC) is taken; ASCII ids,
        // nearly all, are NFC as they are.
        if !ascii, !value.utf8.elementsEqual(value.precomposedStringWithCanonicalMapping.utf8) {
            return "is not in Unicode normalization form C (compose its accents, as most keyboards do)"
        }
        return nil
    }
}
