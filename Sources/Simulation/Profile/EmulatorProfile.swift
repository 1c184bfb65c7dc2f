import Foundation
import Telemetry

/// What the emulator emulates: the sensors every device has, the devices, how devices differ from
/// each other, and their operating cycle. Read from a JSON file (see docs/emulator.md); every key is
/// optional and defaults to `EmulatorProfile.default`, the profile in `config/emulator-profile.json`.
public struct EmulatorProfile: Sendable, Hashable, Codable {
    /// One emulated device.
    public struct Device: Sendable, Hashable, Codable {
        /// The device id: one MQTT topic level, so no `/`, `+`, `#` or control characters.
        public var id: String
        /// A device with this id.
        public init(id: String) { self.id = id }

        enum CodingKeys: String, CodingKey, CaseIterable { case id }
        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            id = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .id)
        }
    }

    /// The sensors every device has, in order.
    public var sensors: [SensorSpec]
    /// The listed devices.
    public var devices: [Device]
    /// Ids for devices beyond the listed ones (`--devices 6` with four listed adds `pump-05`, `pump-06`).
    public var devicePrefix: String
    /// How far one device's idle and full levels may sit from the profile's, as a fraction of the span.
    public var levelVariation: Double
    /// How far one device's noise, wander and lag may differ from the profile's, as a fraction (0.3 = ±30 %).
    public var dynamicsVariation: Double
    /// The operating cycle that drives the load.
    public var operation: OperationSpec

    /// A profile; see `EmulatorProfile.default` for the built-in one.
    public init(sensors: [SensorSpec], devices: [Device], devicePrefix: String = "pump-", levelVariation: Double = 0.05,
                dynamicsVariation: Double = 0.3, operation: OperationSpec = OperationSpec()) {
        self.sensors = sensors
        self.devices = devices
        self.devicePrefix = devicePrefix
        self.levelVariation = levelVariation
        self.dynamicsVariation = dynamicsVariation
        self.operation = operation
    }

    /// Four pumps with temperature, vibration, current and pressure.
    public static let `default` = EmulatorProfile(
        sensors: [SensorSpec.Model.temperature, .vibration, .current, .pressure].compactMap { SensorSpec.preset($0) },
        devices: (1...4).map { Device(id: "pump-0\($0)") })

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sensors, devices, devicePrefix, levelVariation, dynamicsVariation, operation
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = EmulatorProfile.default
        sensors = try c.decodeIfPresent([SensorSpec].self, forKey: .sensors) ?? d.sensors
        devices = try c.decodeIfPresent([Device].self, forKey: .devices) ?? d.devices
        devicePrefix = try c.decodeIfPresent(String.self, forKey: .devicePrefix) ?? d.devicePrefix
        levelVariation = try c.decodeIfPresent(Double.self, forKey: .levelVariation) ?? d.levelVariation
        dynamicsVariation = try c.decodeIfPresent(Double.self, forKey: .dynamicsVariation) ?? d.dynamicsVariation
        operation = try c.decodeIfPresent(OperationSpec.self, forKey: .operation) ?? d.operation
    }

    /// Reads and validates a profile file.
    /// - Throws: `ConfigurationError` naming the file and the key that is wrong.
    public static func load(from url: URL) throws(ConfigurationError) -> EmulatorProfile {
        let profile = try ConfigurationError.decodeFile(EmulatorProfile.self, from: url)
        do {
            try profile.validate()
        } catch {
            throw error.inFile(url.path)
        }
        return profile
    }

    /// Checks every value and that each sensor's model stays inside its normal range on every device.
    public func validate() throws(ConfigurationError) {
        guard !sensors.isEmpty else { throw ConfigurationError(key: "sensors", problem: "needs at least one sensor") }
        guard (0...0.5).contains(levelVariation) else {
            throw ConfigurationError(key: "levelVariation", problem: "must be between 0 and 0.5 (a fraction of each sensor's span)")
        }
        guard (0...0.9).contains(dynamicsVariation) else {
            throw ConfigurationError(key: "dynamicsVariation", problem: "must be between 0 and 0.9 (0.3 means ±30 %)")
        }
        var names = Set<String>()
        for (index, sensor) in sensors.enumerated() {
            guard names.insert(sensor.name).inserted else {
                throw ConfigurationError(key: "sensors[\(index)].name", problem: "\(sensor.name.debugDescription) appears twice")
            }
            try sensor.validate(key: "sensors[\(index)]", levelVariation: levelVariation, dynamicsVariation: dynamicsVariation)
        }
        var ids = Set<String>()
        for (index, device) in devices.enumerated() {
            if let problem = TopicLevel.problem(with: device.id) {
                throw ConfigurationError(key: "devices[\(index)].id", problem: "\(device.id.debugDescription) \(problem)")
            }
            guard ids.insert(device.id).inserted else {
                throw ConfigurationError(key: "devices[\(index)].id", problem: "\(device.id.debugDescription) appears twice")
            }
        }
        if let problem = TopicLevel.problem(with: devicePrefix + "01") {
            throw ConfigurationError(key: "devicePrefix", problem: "makes ids that \(problem)")
        }
        try operation.validate(prefix: "operation")
    }

    /// The ids of a run with `count` devices: the listed ones first, then `devicePrefix` plus a
    /// two-digit number for the rest; nil means exactly the listed devices.
    public func deviceIDs(count: Int?) -> [String] {
        guard let count else { return devices.map(\.id) }
        var ids = Array(devices.prefix(count).map(\.id))
        var taken = Set(ids)
        var number = ids.count + 1
        while ids.count < count {
            let id = devicePrefix + (number < 10 ? "0\(number)" : "\(number)")
            if taken.insert(id).inserted { ids.append(id) }
            number += 1
        }
        return ids
    }
}
