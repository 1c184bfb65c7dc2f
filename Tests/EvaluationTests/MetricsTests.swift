import Evaluation
import Telemetry
import Testing

@Suite("Evaluation metrics, checked against hand-computed cases")
struct MetricsTests {
    @Test("Point metrics: SKAB's F1, FAR and MAR")
    func pointMetrics() throws {
        //            predicted: T  T  F  F  T  F  F  T
        //            actual:    T  F  T  F  T  F  F  T   -> TP 3, FP 1, FN 1, TN 3
        let metrics = PointMetrics(predicted: [true, true, false, false, true, false, false, true],
                                   actual: [true, false, true, false, true, false, false, true])
        #expect(metrics == PointMetrics(truePositives: 3, falsePositives: 1, trueNegatives: 3, falseNegatives: 1))
        #expect(metrics.precision == 0.75 && metrics.recall == 0.75)
        #expect(metrics.f1 == 3.0 / (3.0 + 1.0))  // TP / (TP + (FP + FN) / 2) = 3 / 4
        #expect(metrics.falseAlarmRate == 0.25 && metrics.missedAlarmRate == 0.25)
    }

    @Test("Alarming on everything: F1 from the anomaly share alone, FAR 100 %")
    func alarmEverything() throws {
        // 53 anomalous, 47 normal, all flagged: F1 = 53 / (53 + 47/2) = 0.6928…
        let metrics = PointMetrics(truePositives: 53, falsePositives: 47, trueNegatives: 0, falseNegatives: 0)
        #expect(abs(metrics.f1! - 53.0 / 76.5) < 1e-12)
        #expect(metrics.falseAlarmRate == 1 && metrics.missedAlarmRate == 0)
    }

    @Test("Pooling adds confusion matrices; empty figures are nil, not zero")
    func pooling() {
        let pooled = PointMetrics(truePositives: 1, falsePositives: 2) + PointMetrics(trueNegatives: 3, falseNegatives: 4)
        #expect(pooled == PointMetrics(truePositives: 1, falsePositives: 2, trueNegatives: 3, falseNegatives: 4))
        #expect(PointMetrics().f1 == nil && PointMetrics().falseAlarmRate == nil)
    }

    @Test("Event metrics: recall, precision, false alarms, delays, per kind")
    func eventMetrics() throws {
        let truth = [Interval(start: 100, end: 200, kind: "spike"), Interval(start: 500, end: 900, kind: "drift"),
                     Interval(start: 1_000, end: 1_100, kind: "spike")]
        // detects the first at 150 (delay 50), the second at 480 (before it: delay 0), misses the third,
        // and raises one false alarm at 2000.
        let detected = [Interval(start: 150, end: 170), Interval(start: 480, end: 600), Interval(start: 2_000, end: 2_010)]
        let metrics = EventMetrics(truth: truth, detected: detected)
        #expect(metrics.trueAnomalies == 3 && metrics.detectedAnomalies == 2)
        #expect(metrics.alarms == 3 && metrics.falseAlarms == 1)
        #expect(metrics.recall == 2.0 / 3.0 && metrics.precision == 2.0 / 3.0)
        #expect(metrics.delaysMilliseconds == [50, 0])
        #expect(metrics.meanDelayMilliseconds == 25)
        #expect(metrics.byKind.map(\.kind) == ["drift", "spike"])
        #expect(metrics.byKind[1].total == 2 && metrics.byKind[1].detected == 1 && metrics.byKind[1].recall == 0.5)
        #expect(metrics.falseAlarmsPerDeviceHour(deviceHours: 2) == 0.5)
    }

    @Test("Intervals at the ends of Int64 and thousands of long delays give figures, not a trap")
    func extremes() {
        let truth = [Interval(start: 0, end: .max, kind: "k")] + (0..<2_000).map { _ in Interval(start: -9_000_000_000_000_000, end: 0, kind: "k") }
        let metrics = EventMetrics(truth: truth, detected: [Interval(start: 8_999_999_999_999_999, end: .max)], tolerance: 5_000)
        #expect(metrics.detectedAnomalies == 1, "only the one reaching Int64.max overlaps")
        let delays = EventMetrics(truth: truth.dropFirst().map { $0 }, detected: [Interval(start: 0, end: 1)], tolerance: .max)
        #expect(delays.detectedAnomalies == 2_000)
        #expect(delays.meanDelayMilliseconds == 9e15, "2,000 delays of 9e15 ms would overflow an Int64 sum")
        #expect(delays.byKind.first?.meanDelayMilliseconds == 9e15)
    }

    @Test("Tolerance lets a detection just after the end count")
    func tolerance() {
        let truth = [Interval(start: 0, end: 10)]
        let late = [Interval(start: 15, end: 20)]
        #expect(EventMetrics(truth: truth, detected: late).detectedAnomalies == 0)
        #expect(EventMetrics(truth: truth, detected: late, tolerance: 5).detectedAnomalies == 1)
    }
}

@Suite("Episodes from ground truth and events")
struct EpisodeCollectorTests {
    @Test("Truth and event records become per-device intervals; open ones end at now")
    func collect() {
        var collector = EpisodeCollector()
        func ts(_ value: Int64) -> Timestamp { Timestamp(milliseconds: value) }
        collector.add(GroundTruthRecord(device: "a", id: "a-1", kind: "spike", state: .start, sensors: ["v"], ts: ts(1_000)))
        collector.add(GroundTruthRecord(device: "a", id: "a-1", kind: "spike", state: .end, sensors: ["v"], ts: ts(2_000)))
        collector.add(GroundTruthRecord(device: "b", id: "b-1", kind: "drift", state: .start, sensors: ["t"], ts: ts(5_000)))
        func event(_ device: String, _ id: String, _ state: AnomalyEvent.State, _ start: Int64, _ now: Int64, _ end: Int64?) -> AnomalyEvent {
            AnomalyEvent(eventID: id, device: device, state: state, startedAt: ts(start), ts: ts(now), endedAt: end.map(ts), score: 0.7,
                         peakScore: 0.7, threshold: 0.6, severity: .warning, contributors: [], triggerSeq: nil, model: "m", agent: "x")
        }
        collector.add(event("a", "e1", .open, 1_500, 1_500, nil))
        collector.add(event("a", "e1", .closed, 1_500, 2_500, 2_500))
        collector.add(event("a", "e2", .open, 8_000, 8_000, nil))  // a false alarm, still open
        collector.add(event("b", "e3", .open, 7_000, 7_000, nil))  // detects b's drift 2 s late
        let metrics = collector.metrics(now: 9_000)
        #expect(metrics.trueAnomalies == 2 && metrics.detectedAnomalies == 2)
        #expect(metrics.alarms == 3 && metrics.falseAlarms == 1)
        #expect(metrics.delaysMilliseconds.sorted() == [500, 2_000])
        #expect(metrics.byKind.map(\.kind) == ["drift", "spike"])
        #expect(abs(collector.deviceHours - 2 * 7.0 / 3600) < 1e-12)  // devices a and b, from 1 s to 8 s
        // One device's truth, as the dashboard reads it: closed ones as they were, the open one ending now.
        #expect(collector.truth(of: "a", now: 9_000) == [Interval(start: 1_000, end: 2_000, kind: "spike")])
        #expect(collector.truth(of: "b", now: 9_000) == [Interval(start: 5_000, end: 9_000, kind: "drift")])
        #expect(collector.truth(of: "c", now: 9_000).isEmpty)
        #expect(collector.truth(of: "b", now: 9_000) == collector.closedIntervals(now: 9_000).truth["b"])
    }

    @Test("Merging per-device figures at once gives what merging them one by one does")
    func mergingAtOnce() {
        let parts = (0..<5).map { index in
            EventMetrics(truth: [Interval(start: 0, end: 10, kind: index % 2 == 0 ? "spike" : "drift"), Interval(start: 100, end: 110, kind: "stuck")],
                         detected: [Interval(start: Int64(index), end: 20), Interval(start: 500, end: 510)])
        }
        let oneByOne = parts.dropFirst().reduce(parts[0]) { $0.merged(with: $1) }
        let atOnce = EventMetrics.merging(parts)
        #expect(atOnce == oneByOne)
        #expect(atOnce.byKind.map(\.kind) == ["drift", "spike", "stuck"])
        #expect(atOnce.byKind[1].meanDelayMilliseconds == 2, "spike delays 0, 2, 4")
    }

    @Test("Event spans: from the onset or the alarm to the end, repeats and overlaps merged, an open event to the end of time")
    func eventSpans() {
        func message(_ id: String, _ state: AnomalyEvent.State, started: Int64, onset: Int64?, ts: Int64, ended: Int64? = nil) -> AnomalyEvent {
            AnomalyEvent(eventID: id, device: "d", state: state, startedAt: Timestamp(milliseconds: started), ts: Timestamp(milliseconds: ts),
                         endedAt: ended.map { Timestamp(milliseconds: $0) }, score: 0.7, peakScore: 0.7, threshold: 0.6, severity: .warning,
                         contributors: [], triggerSeq: nil, model: "m", agent: "a", onsetAt: onset.map { Timestamp(milliseconds: $0) })
        }
        let events = [
            message("a", .open, started: 100, onset: 91, ts: 100),
            message("a", .closed, started: 100, onset: 91, ts: 120, ended: 120),
            message("a", .closed, started: 100, onset: 91, ts: 120, ended: 120),  // QoS 1 delivered it twice
            message("b", .open, started: 125, onset: 118, ts: 125),  // its onset reaches into a's span
            message("b", .closed, started: 125, onset: 118, ts: 130, ended: 130),
            message("c", .closed, started: 200, onset: nil, ts: 210, ended: 210),  // an older agent: no onset
            message("d", .update, started: 300, onset: 295, ts: 305),  // still open
        ]
        let fromOnset = EventSpans(events: events, from: .onset)
        #expect(fromOnset.spans == [91...130, 200...210, 295...Int64.max])
        let fromAlarm = EventSpans(events: events, from: .alarm)
        #expect(fromAlarm.spans == [100...120, 125...130, 200...210, 300...Int64.max])
        #expect([90, 91, 122, 130, 131, 199, 200, 210, 211, 294, 295, 1 << 40].map(fromOnset.covers)
                == [false, true, true, true, false, false, true, true, false, false, true, true])
        #expect([99, 100, 122, 125].map(fromAlarm.covers) == [false, true, false, true])
        #expect(!EventSpans(events: [], from: .onset).covers(0))
    }
}
