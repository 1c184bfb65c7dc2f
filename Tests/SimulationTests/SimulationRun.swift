import Foundation
@testable import Simulation
import Telemetry

/// An emulation run collected in memory, for checking the series against the ground truth.
struct SimulationRun {
    var readings: [DeviceReading]
    var truth: [GroundTruthRecord]
    let sensorNames: [String]
    let deviceIDs: [String]

    /// One injected anomaly: its start and end records (seq inclusive).
    struct Window: Sendable {
        let id: String
        let device: String
        let kind: String
        let sensors: [String]
        let first: Int64
        let last: Int64
        func contains(_ seq: Int64) -> Bool { first <= seq && seq <= last }
    }

    static let origin = Timestamp(milliseconds: 1_767_225_600_000)

    static func collect(_ configuration: Emulation.Configuration, ticks: Int) throws -> SimulationRun {
        var emulation = try Emulation(configuration)
        var readings: [DeviceReading] = []
        var truth: [GroundTruthRecord] = []
        readings.reserveCapacity(ticks * emulation.deviceIDs.count)
        for _ in 0..<(ticks * emulation.deviceIDs.count) {
            let step = emulation.next()
            truth += step.truthBefore
            readings.append(step.reading)
            truth += step.truthAfter
        }
        truth += emulation.finish()
        return SimulationRun(readings: readings, truth: truth, sensorNames: emulation.sensorNames, deviceIDs: emulation.deviceIDs)
    }

    var windows: [Window] {
        var starts: [String: GroundTruthRecord] = [:]
        var windows: [Window] = []
        for record in truth {
            if record.state == .start {
                starts[record.id] = record
            } else if let start = starts.removeValue(forKey: record.id) {
                windows.append(Window(id: record.id, device: record.device, kind: record.kind, sensors: record.sensors,
                                      first: start.seq ?? -1, last: record.seq ?? -1))
            }
        }
        return windows
    }

    /// The values of one sensor of one device, by seq (NaN for null; missing messages absent).
    func series(_ device: String, _ sensor: String) -> [Int64: Double] {
        let index = sensorNames.firstIndex(of: sensor)!
        var values: [Int64: Double] = [:]
        for reading in readings where reading.device == device && !reading.isMissing { values[reading.seq] = reading.values[index] }
        return values
    }

    func reading(_ device: String, seq: Int64) -> DeviceReading? {
        readings.first { $0.device == device && $0.seq == seq }
    }
}

enum Statistics {
    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    static func variance(_ values: [Double]) -> Double {
        let m = mean(values)
        return values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)
    }

    /// Least-squares slope of `values` against their index.
    static func slope(_ values: [Double]) -> Double {
        let n = Double(values.count)
        let xMean = (n - 1) / 2
        let yMean = mean(values)
        var numerator = 0.0, denominator = 0.0
        for (index, value) in values.enumerated() {
            numerator += (Double(index) - xMean) * (value - yMean)
            denominator += (Double(index) - xMean) * (Double(index) - xMean)
        }
        return numerator / denominator
    }

    /// Power of the mean-free `values` at `frequency` cycles per sample (one DFT bin).
    static func power(_ values: [Double], frequency: Double) -> Double {
        let m = mean(values)
        var re = 0.0, im = 0.0
        for (index, value) in values.enumerated() {
            let angle = 2 * Double.pi * frequency * Double(index)
            re += (value - m) * cos(angle)
            im -= (value - m) * sin(angle)
        }
        return (re * re + im * im) / Double(values.count)
    }
}
