import Foundation
@testable import Simulation
import Telemetry
import Testing

/// Each kind of anomaly must show in the series exactly where the ground truth says, and nowhere
/// else: the same seed without anomalies is the reference for "normal".
@Suite("Anomalies are visible where the ground truth says, and nowhere else")
struct AnomalyVisibilityTests {
    static let scenario = Scenario(anomalies: [
        ScriptedAnomaly(device: "pump-01", kind: .spike, at: 1000, duration: 3, sensors: ["vibration"], magnitude: 0.5),
        ScriptedAnomaly(device: "pump-02", kind: .dip, at: 1000, duration: 20, sensors: ["pressure"], magnitude: 0.4),
        ScriptedAnomaly(device: "pump-03", kind: .drift, at: 1000, duration: 600, sensors: ["temperature"], magnitude: 0.35),
        ScriptedAnomaly(device: "pump-04", kind: .levelShift, at: 1000, duration: 300, sensors: ["current"], magnitude: 0.25),
        ScriptedAnomaly(device: "pump-01", kind: .stuck, at: 1500, duration: 180, sensors: ["pressure"]),
        ScriptedAnomaly(device: "pump-02", kind: .noise, at: 1500, duration: 120, sensors: ["vibration"]),
        ScriptedAnomaly(device: "pump-03", kind: .dropout, at: 2000, duration: 30, sensors: ["temperature", "vibration", "current", "pressure"]),
        ScriptedAnomaly(device: "pump-04", kind: .dropout, at: 2000, duration: 45, sensors: ["vibration"]),
        ScriptedAnomaly(device: "pump-01", kind: .correlationBreak, at: 2000, duration: 300, sensors: ["current", "temperature"], magnitude: 0.3),
        ScriptedAnomaly(device: "pump-02", kind: .oscillation, at: 2000, duration: 180, sensors: ["pressure"], magnitude: 0.12, period: 10),
    ])

    static func configuration(_ scenario: Scenario?) -> Emulation.Configuration {
        Emulation.Configuration(scenario: scenario, rate: 1, seed: 11, origin: SimulationRun.origin)
    }

    static let anomalous = try! SimulationRun.collect(configuration(scenario), ticks: 3000)
    static let clean = try! SimulationRun.collect(configuration(nil), ticks: 3000)

    /// The window of the anomaly of `kind` on `device`, with the series inside and around it.
    struct Case {
        let window: SimulationRun.Window
        let anomalous: [Double]
        let clean: [Double]
        let span: Double
        /// Normal measurement noise, estimated from the clean series around the window.
        let noise: Double
        let neighbourhood: [Double]

        init(_ kind: AnomalyKind, device: String, sensor: String) throws {
            let window = try #require(AnomalyVisibilityTests.anomalous.windows.first { $0.kind == kind.rawValue && $0.device == device })
            let anomalousSeries = AnomalyVisibilityTests.anomalous.series(device, sensor)
            let cleanSeries = AnomalyVisibilityTests.clean.series(device, sensor)
            self.window = window
            anomalous = (window.first...window.last).compactMap { anomalousSeries[$0] }
            clean = (window.first...window.last).map { cleanSeries[$0]! }
            span = SensorSpec.preset(SensorSpec.Model(rawValue: sensor)!)!.span
            neighbourhood = ((window.first - 60)...(window.last + 60)).compactMap { cleanSeries[$0] }
            let differences = zip(neighbourhood.dropFirst(), neighbourhood).map { $0 - $1 }
            noise = (Statistics.variance(differences) / 2).squareRoot()
        }

        var differences: [Double] { zip(anomalous, clean).map { $0 - $1 } }
    }

    @Test("every scripted anomaly has a start and an end record with the contract's kind strings")
    func groundTruth() {
        let windows = Self.anomalous.windows
        #expect(windows.count == Self.scenario.anomalies.count)
        #expect(Set(windows.map(\.kind)) == Set(AnomalyKind.allCases.map(\.rawValue)))
        #expect(Set(AnomalyKind.allCases.map(\.rawValue)) == ["spike", "dip", "drift", "level-shift", "stuck", "noise", "dropout", "correlation-break", "oscillation"])
        let spike = windows.first { $0.kind == "spike" }
        #expect(spike?.last == (spike?.first ?? 0) + 2, "a 3 s spike at 1 Hz covers three readings")
    }

    @Test("spike: every reading exceeds the normal one by more than 6 sigma of its noise, and the neighbourhood's maximum")
    func spike() throws {
        let c = try Case(.spike, device: "pump-01", sensor: "vibration")
        #expect(c.anomalous.count == 3)
        #expect(c.differences.allSatisfy { $0 > 6 * c.noise }, "\(c.differences) vs σ \(c.noise)")
        #expect(c.anomalous.min()! > c.neighbourhood.max()! + 3 * c.noise)
    }

    @Test("dip: every reading goes below the neighbourhood's minimum")
    func dip() throws {
        let c = try Case(.dip, device: "pump-02", sensor: "pressure")
        #expect(c.anomalous.allSatisfy { $0 < c.neighbourhood.min()! - 3 * c.noise })
    }

    @Test("drift: the offset grows linearly to the magnitude")
    func drift() throws {
        let c = try Case(.drift, device: "pump-03", sensor: "temperature")
        let growth = Statistics.slope(c.differences) * Double(c.differences.count)
        #expect(abs(growth - 0.35 * c.span) < 0.05 * 0.35 * c.span, "grew \(growth)")
        #expect(abs(c.differences.first!) < 3 * c.noise + 0.1, "starts small")
        #expect(c.differences.last! > 6 * c.noise)
    }

    @Test("level shift: the mean moves by the magnitude for the whole window")
    func levelShift() throws {
        let c = try Case(.levelShift, device: "pump-04", sensor: "current")
        #expect(abs(Statistics.mean(c.differences) - 0.25 * c.span) < 0.02 * c.span)
        #expect(c.differences.allSatisfy { $0 > 6 * c.noise })
    }

    @Test("stuck: zero variance where the normal signal varies")
    func stuck() throws {
        let c = try Case(.stuck, device: "pump-01", sensor: "pressure")
        #expect(c.anomalous.count == 180 && Set(c.anomalous).count == 1, "one value repeated: zero variance")
        #expect(Statistics.variance(c.clean) > 0)
    }

    @Test("noise: the variance of the changes rises several times")
    func noise() throws {
        let c = try Case(.noise, device: "pump-02", sensor: "vibration")
        let anomalousChanges = zip(c.anomalous.dropFirst(), c.anomalous).map { $0 - $1 }
        let cleanChanges = zip(c.clean.dropFirst(), c.clean).map { $0 - $1 }
        #expect(Statistics.variance(anomalousChanges) > 4 * Statistics.variance(cleanChanges))
        #expect(abs(Statistics.mean(c.differences)) < 0.2 * (Statistics.variance(c.differences)).squareRoot() + c.noise)
    }

    @Test("dropout: whole messages go missing when every sensor drops, nulls when one does")
    func dropout() throws {
        let whole = try #require(Self.anomalous.windows.first { $0.kind == "dropout" && $0.device == "pump-03" })
        let missing = Self.anomalous.readings.filter { $0.device == "pump-03" && whole.contains($0.seq) }
        #expect(missing.count == 30 && missing.allSatisfy(\.isMissing))
        let partial = try #require(Self.anomalous.windows.first { $0.kind == "dropout" && $0.device == "pump-04" })
        let vibration = Self.anomalous.sensorNames.firstIndex(of: "vibration")!
        let nulls = Self.anomalous.readings.filter { $0.device == "pump-04" && partial.contains($0.seq) }
        #expect(nulls.count == 45)
        #expect(nulls.allSatisfy { !$0.isMissing && $0.values[vibration].isNaN })
        #expect(nulls.allSatisfy { reading in reading.values.indices.filter { $0 != vibration }.allSatisfy { reading.values[$0].isFinite } })
    }

    @Test("oscillation: strong periodic energy at the period, absent from the normal signal")
    func oscillation() throws {
        let c = try Case(.oscillation, device: "pump-02", sensor: "pressure")
        let frequency = 1.0 / 10
        #expect(Statistics.power(c.anomalous, frequency: frequency) > 50 * Statistics.power(c.clean, frequency: frequency))
        let bins = (1..<(c.differences.count / 2)).map { Double($0) / Double(c.differences.count) }
        let strongest = bins.max { Statistics.power(c.differences, frequency: $0) < Statistics.power(c.differences, frequency: $1) }!
        #expect(abs(strongest - frequency) < 0.01)
    }

    @Test("correlation break: the current rises while the temperature (and everything else) keeps following the load")
    func correlationBreak() throws {
        let current = try Case(.correlationBreak, device: "pump-01", sensor: "current")
        let settled = Array(current.differences.suffix(current.differences.count / 2))
        #expect(Statistics.mean(settled) > 0.9 * 0.3 * current.span)
        for sensor in ["temperature", "vibration", "pressure"] {
            let other = try Case(.correlationBreak, device: "pump-01", sensor: sensor)
            #expect(other.differences.allSatisfy { $0 == 0 }, "\(sensor) must not move")
        }
    }

    @Test("outside the windows every reading equals the normal reading of the same seed")
    func nowhereElse() {
        let windows = Self.anomalous.windows
        #expect(Self.anomalous.readings.count == Self.clean.readings.count)
        var compared = 0
        for (reading, normal) in zip(Self.anomalous.readings, Self.clean.readings) {
            #expect(reading.device == normal.device && reading.seq == normal.seq && reading.timestamp == normal.timestamp)
            guard !windows.contains(where: { $0.device == reading.device && $0.contains(reading.seq) }) else { continue }
            #expect(reading.values == normal.values && !reading.isMissing && reading.anomalies.isEmpty)
            compared += 1
        }
        #expect(compared > Self.anomalous.readings.count * 3 / 4)
    }
}
