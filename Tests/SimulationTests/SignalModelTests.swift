import Foundation
@testable import Simulation
import Telemetry
import Testing

@Suite("Signal models: realistic, bounded, different per device")
struct SignalModelTests {
    @Test("normal operation stays inside every sensor's normal range, on every device, at any rate", arguments: [(1.0, 8 * 3600), (10.0, 1800)])
    func normalBounds(rate: Double, seconds: Int) throws {
        let run = try SimulationRun.collect(.init(scenario: nil, deviceCount: 6, rate: rate, seed: 3, origin: SimulationRun.origin),
                                            ticks: Int(Double(seconds) * rate))
        let sensors = EmulatorProfile.default.sensors
        for (index, sensor) in sensors.enumerated() {
            let values = run.readings.map { $0.values[index] }
            #expect(values.allSatisfy { sensor.normal.contains($0) }, "\(sensor.name): \(values.min()!)...\(values.max()!)")
        }
        #expect(run.readings.allSatisfy { !$0.isMissing && $0.anomalies.isEmpty })
        #expect(run.truth.isEmpty)
    }

    @Test("the load cycle drives the sensors: current and pressure follow at once, temperature with a lag")
    func loadFollowing() throws {
        let run = try SimulationRun.collect(.init(scenario: nil, deviceCount: 1, rate: 1, seed: 5, origin: SimulationRun.origin), ticks: 4 * 3600)
        let current = run.readings.map { $0.values[2] }, pressure = run.readings.map { $0.values[3] }, temperature = run.readings.map { $0.values[0] }
        #expect(correlation(current, pressure) > 0.9)
        // Temperature lags: it correlates better with the current of minutes ago than with the current now.
        let lag = 480
        #expect(correlation(Array(current.dropLast(lag)), Array(temperature.dropFirst(lag))) > correlation(current, temperature))
        #expect(current.max()! - current.min()! > 8, "start-up, steady loads and ramps span most of the range")
    }

    @Test("vibration is a band whose width grows with load")
    func vibrationBand() throws {
        let run = try SimulationRun.collect(.init(scenario: nil, deviceCount: 1, rate: 1, seed: 5, origin: SimulationRun.origin), ticks: 4 * 3600)
        let pairs = run.readings.map { (current: $0.values[2], vibration: $0.values[1]) }
        let low = pairs.filter { $0.current < 5 }.map(\.vibration), high = pairs.filter { $0.current > 12 }.map(\.vibration)
        try #require(low.count > 100 && high.count > 100)
        #expect(Statistics.mean(high) > 2 * Statistics.mean(low))
        #expect(Statistics.variance(high) > 4 * Statistics.variance(low))
    }

    @Test("every device draws its own parameters and phase, so devices differ")
    func devicesDiffer() throws {
        let run = try SimulationRun.collect(.init(scenario: nil, deviceCount: 4, rate: 1, seed: 9, origin: SimulationRun.origin), ticks: 3600)
        let idleTemperatures = run.deviceIDs.map { id in run.readings.first { $0.device == id }!.values[0] }
        #expect(Set(idleTemperatures).count == 4)
        let phases = run.deviceIDs.map { id in run.readings.first { $0.device == id }!.timestamp }
        #expect(Set(phases).count == 4)
        let meanCurrents = run.deviceIDs.map { id in Statistics.mean(run.readings.filter { $0.device == id }.map { $0.values[2] }) }
        #expect(Set(meanCurrents.map { ($0 * 10).rounded() }).count == 4)
    }

    @Test("readings come in time order; seq counts periods; quantisation follows each sensor's resolution")
    func timeAndQuantisation() throws {
        let run = try SimulationRun.collect(.init(scenario: nil, deviceCount: 3, rate: 4, seed: 1, origin: SimulationRun.origin), ticks: 400)
        #expect(zip(run.readings.dropFirst(), run.readings).allSatisfy { $0.timestamp >= $1.timestamp })
        for id in run.deviceIDs {
            let seqs = run.readings.filter { $0.device == id }.map(\.seq)
            #expect(seqs == Array(0..<400))
        }
        for (index, sensor) in EmulatorProfile.default.sensors.enumerated() {
            #expect(run.readings.allSatisfy { abs($0.values[index] / sensor.resolution - ($0.values[index] / sensor.resolution).rounded()) < 1e-6 })
        }
    }

    @Test("a profile may have any sensors and devices; a sensor that is not built in follows its own description")
    func genericSensor() throws {
        var profile = EmulatorProfile.default
        profile.sensors.append(SensorSpec(name: "flow rate", unit: "m³/h", model: .generic, normal: 0...120, idle: 12, full: 95,
                                          lagSeconds: 20, noise: 0.5, wander: 0.5, resolution: 0.1))
        let run = try SimulationRun.collect(.init(profile: profile, scenario: nil, deviceCount: 9, rate: 1, seed: 4, origin: SimulationRun.origin), ticks: 3600)
        #expect(run.deviceIDs == (1...9).map { "pump-0\($0)" })
        let flow = run.readings.map { $0.values[4] }
        #expect(flow.allSatisfy { (0...120).contains($0) })
        #expect(correlation(flow, run.readings.map { $0.values[2] }) > 0.9, "it follows the load like the current does")
    }

    @Test("a reset replays the same signals and anomalies while seq, time and ids keep counting")
    func reset() throws {
        var emulation = try Emulation(.init(rate: 1, seed: 21, origin: SimulationRun.origin))
        let devices = emulation.deviceIDs.count
        var first: [DeviceReading] = [], afterReset: [DeviceReading] = []
        var ids: [String] = []
        for _ in 0..<(1200 * devices) {
            let step = emulation.next()
            first.append(step.reading)
            ids += (step.truthBefore + step.truthAfter).map(\.id)
        }
        emulation.requestReset()
        var resetTruth: [GroundTruthRecord] = []
        for _ in 0..<(1200 * devices) {
            let step = emulation.next()
            afterReset.append(step.reading)
            resetTruth += step.truthBefore + step.truthAfter
        }
        #expect(zip(first, afterReset).allSatisfy { $0.values.elementsEqual($1.values) { $0 == $1 || ($0.isNaN && $1.isNaN) } && $0.device == $1.device })
        #expect(zip(first, afterReset).allSatisfy { $1.seq == $0.seq + 1200 && $1.timestamp == $0.timestamp + 1_200_000 })
        let startsAfter = resetTruth.filter { $0.state == .start }
        #expect(!startsAfter.isEmpty, "the default scenario injects within 20 minutes")
        #expect(Set(startsAfter.map(\.id)).isDisjoint(with: ids))
    }

    private func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let mx = Statistics.mean(x), my = Statistics.mean(y)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }
}
