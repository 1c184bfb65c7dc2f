import Detection
import Foundation
import IsolationForest
import Telemetry
import Testing

@Suite("Data-quality findings: stuck sensors and dropouts")
struct DataQualityMonitorTests {
    @Test("Longest run of identical values, by hand")
    func longestRun() {
        #expect(DataQualityMonitor.longestRun([Double]()) == 0)
        #expect(DataQualityMonitor.longestRun([1, 2, 3]) == 1)
        #expect(DataQualityMonitor.longestRun([1, 1, 2, 2, 2, 1]) == 3)
        // NaN breaks a run and is no run of its own.
        #expect(DataQualityMonitor.longestRun([5, 5, .nan, 5, 5, .nan, .nan]) == 2)
    }

    @Test("Stuck limit is twice the training run, at least 3; a sensor is stuck from the repeat beyond it")
    func stuck() {
        // Training runs 2 and 1: limits max(3, 4) = 4 and max(3, 2) = 3; nil means no limit.
        var monitor = DataQualityMonitor(longestRuns: [2, 1, nil], policy: DataQualityPolicy(stuckFactor: 2, missingAfter: 3))
        #expect(monitor.stuckLimits == [4, 3, nil])
        var findings: [String] = []
        // Sensor 1 repeats 7.0 four times (one more than its limit 3) at the 4th message; sensor 2 never counts.
        for values in [[1.0, 7, 0], [2, 7, 0], [3, 7, 0], [4, 7, 0], [5, 8, 0]] {
            let result = monitor.observe(values)
            findings.append(result.map { "\($0.finding.rawValue)\($0.sensors)" } ?? "-")
        }
        #expect(findings == ["-", "-", "-", "stuck_sensor[1]", "-"])
    }

    @Test("A sensor missing in missingAfter messages in a row, or a seq gap that long, is a dropout; one lost message is not")
    func missing() {
        var monitor = DataQualityMonitor(longestRuns: [1, 1], policy: DataQualityPolicy(stuckFactor: 2, missingAfter: 3))
        #expect(monitor.observe([1, .nan]) == nil)
        #expect(monitor.observe([2, .nan]) == nil)
        #expect(monitor.observe([3, .nan])?.finding == .missingData)
        #expect(monitor.observe([3, .nan])?.sensors == [1])
        #expect(monitor.observe([4, 1]) == nil)  // back: the count restarts
        #expect(monitor.observe([5, 2], seqGap: 2) == nil)
        let gap = monitor.observe([6, 3], seqGap: 3)
        #expect(gap?.finding == .missingData && gap?.sensors == [0, 1])
    }

    @Test("0 turns each check off")
    func off() {
        var monitor = DataQualityMonitor(longestRuns: [1], policy: DataQualityPolicy(stuckFactor: 0, missingAfter: 0))
        #expect(monitor.stuckLimits == [nil])
        for _ in 0..<20 { #expect(monitor.observe([1]) == nil) }
        for _ in 0..<20 { #expect(monitor.observe([.nan], seqGap: 100) == nil) }
        #expect(throws: DetectionError.self) { try DataQualityPolicy(stuckFactor: -1).validate() }
        #expect(throws: DetectionError.self) { try DataQualityPolicy(missingAfter: -1).validate() }
    }

    @Test("Training learns each raw sensor's longest run per device into the envelope")
    func learned() throws {
        let trainer = ModelTrainer(sensors: ["a", "b"], derived: [.std], window: 2,
                                   forest: IsolationForest.Configuration(treeCount: 10, seed: 1))
        let readings: [String: [[Double]]] = [
            "d1": [[1, 5], [1, 6], [1, 7], [2, 8], [3, 9]],  // a: run 3
            "d2": [[4, 1], [5, 1], [6, 2], [7, 3], [8, 4]],  // b: run 2
        ]
        let (_, spec) = try trainer.featureRows(readings: readings)
        #expect(spec.envelope?.map(\.longestRun) == [3, 2, nil, nil])
    }
}

@Suite("Data-quality events through the detector")
struct DataQualityDetectorTests {
    func model() throws -> AnomalyModel {
        try ModelTrainer(sensors: sensors, derived: [.std], window: 10,
                         forest: IsolationForest.Configuration(treeCount: 100, contamination: .fraction(0.0005), seed: 7))
            .train(readings: ["pump-01": normalReadings(count: 3000, seed: 1)])
    }

    /// Runs 200 normal readings through a detector; `edit` may change a reading and return how many
    /// messages were lost just before it.
    func events(outageBefore outage: Int? = nil, _ edit: (Int, inout [Double]) -> Int64?) throws -> [AnomalyEvent] {
        var detector = try Detector(model: try model())
        var events: [AnomalyEvent] = []
        var seq: Int64 = 0
        for (index, var reading) in normalReadings(count: 200, seed: 9).enumerated() {
            if index == outage { detector.noteOutage() }
            seq += 1
            // The edit may say how many messages were lost just before this one.
            if let lost = edit(index, &reading) { seq += lost }
            let values = zip(sensors, reading).map { "\"\($0)\":\($1.isFinite ? "\($1)" : "null")" }.joined(separator: ",")
            let bytes = Array("{\"ts\":\(Int64(index) * 1000),\"seq\":\(seq),\"values\":{\(values)}}".utf8)
            if let event = detector.process(bytes, device: "p").event { events.append(event) }
        }
        return events
    }

    @Test("A sensor that repeats one value is a stuck_sensor event naming it, although its value is normal")
    func stuck() throws {
        // Noisy vibration never repeats in training (run 1): the limit is 3, so the 4th identical value opens.
        let found = try events { index, reading in
            if (100..<150).contains(index) { reading[1] = 0.031 }
            return nil
        }
        let open = try #require(found.first { $0.state == .open })
        #expect(open.finding == "stuck_sensor")
        #expect(open.startedAt.milliseconds == 103_000)
        #expect(open.contributors.map(\.sensor) == ["vibration"])
        #expect(found.filter { $0.state == .open }.count == 1)
    }

    @Test("A null sensor for three messages, and a seq gap of five messages, are missing_data events")
    func dropout() throws {
        let found = try events { index, reading in
            if (50..<60).contains(index) { reading[2] = .nan }  // current null
            return index == 120 ? 5 : nil  // five messages lost before message 120
        }
        let opened = found.filter { $0.state == .open }
        #expect(opened.map(\.finding) == ["missing_data", "missing_data"])
        #expect(opened.map(\.startedAt.milliseconds) == [52_000, 120_000])
        #expect(opened.first?.contributors.map(\.sensor) == ["current"])
        // The JSON carries the finding; score-based events leave it out.
        let text = String(decoding: try JSONEncoder().encode(opened[0]), as: UTF8.self)
        #expect(text.contains("\"finding\":\"missing_data\""))
    }

    @Test("Messages lost while the agent was away from the broker are not a dropout; a later gap still is")
    func outageIsNotDropout() throws {
        let found = try events(outageBefore: 120) { index, _ in index == 120 || index == 160 ? 5 : nil }
        let opened = found.filter { $0.state == .open }
        #expect(opened.map(\.finding) == ["missing_data"])
        #expect(opened.map(\.startedAt.milliseconds) == [160_000])
    }
}

@Suite("Data-quality limits from absurd inputs")
struct DataQualityLimitTests {
    @Test("A longest run or factor too large for a count switches the stuck check off instead of trapping")
    func absurdRun() {
        var policy = DataQualityPolicy()
        policy.stuckFactor = 1e300
        let monitor = DataQualityMonitor(longestRuns: [Int.max, 4], policy: policy)
        #expect(monitor.stuckLimits[0] == nil)
        #expect(monitor.stuckLimits[1] == nil)
    }
}
