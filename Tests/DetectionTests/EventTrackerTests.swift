import Detection
import Telemetry
import Testing

@Suite("Event state machine")
struct EventTrackerTests {
    func observation(_ index: Int, _ score: Double, anomalous: Bool? = nil, severity: AnomalyEvent.Severity = .warning) -> EventTracker.Observation {
        EventTracker.Observation(ts: Timestamp(milliseconds: Int64(index) * 1000), seq: Int64(index), score: score,
                                 anomalous: anomalous ?? (score > 0.6), severity: severity,
                                 contributors: [.init(sensor: "s", share: 1, value: score, expected: 0)])
    }

    @Test("k of n opens, m normal in a row closes, one event per episode")
    func openAndClose() {
        var tracker = EventTracker(policy: EventPolicy(openCount: 3, openWindow: 5, closeAfter: 4, updateGrowth: 0.05, updateInterval: 0))
        var messages: [EventTracker.Snapshot] = []
        let scores = [0.4, 0.7, 0.4, 0.7, 0.7, 0.72, 0.7, 0.4, 0.4, 0.4, 0.4, 0.4]
        for (index, score) in scores.enumerated() {
            if let snapshot = tracker.observe(observation(index, score)) { messages.append(snapshot) }
        }
        #expect(messages.map(\.state) == [.open, .closed])
        #expect(messages[0].startedAt.milliseconds == 4000 && messages[0].triggerSeq == 4)
        #expect(messages[1].endedAt?.milliseconds == 10_000)
        #expect(messages[1].peakScore == 0.72)
        #expect(messages[0].number == messages[1].number)
        #expect(!tracker.isOpen)
    }

    @Test("Updates only when the peak grows materially, and not more often than the interval")
    func updates() {
        var tracker = EventTracker(policy: EventPolicy(openCount: 1, openWindow: 1, closeAfter: 3, updateGrowth: 0.05, updateInterval: 3000))
        var states: [AnomalyEvent.State] = []
        for (index, score) in [0.65, 0.66, 0.75, 0.76, 0.90, 0.91, 0.92].enumerated() {
            if let snapshot = tracker.observe(observation(index, score)) { states.append(snapshot.state) }
        }
        // 0.65 opens; 0.75 grew enough but only 2 s later; 0.76 at 3 s updates; 0.90 at 4 s is too soon; 0.92 at 6 s updates.
        #expect(states == [.open, .update, .update])
    }

    @Test("Escalation to critical is reported at once")
    func escalation() {
        var tracker = EventTracker(policy: EventPolicy(openCount: 1, openWindow: 1, updateInterval: 60_000))
        #expect(tracker.observe(observation(0, 0.65))?.state == .open)
        let escalated = tracker.observe(observation(1, 0.66, severity: .critical))
        #expect(escalated?.state == .update && escalated?.severity == .critical)
    }

    @Test("A finding opens at once and names the event; one joining a score-based event names it from then on")
    func finding() {
        let policy = EventPolicy(openCount: 3, openWindow: 5, closeAfter: 2)
        var tracker = EventTracker(policy: policy)
        var dropout = observation(0, 0.4, anomalous: true)
        dropout.immediate = true
        dropout.finding = "missing_data"
        let opened = tracker.observe(dropout)
        #expect(opened?.state == .open && opened?.finding == "missing_data")
        #expect(tracker.observe(observation(1, 0.4)) == nil)
        #expect(tracker.observe(observation(2, 0.4))?.finding == "missing_data")  // closed, still named

        var scored = EventTracker(policy: policy)
        var states: [String] = []
        for index in 0..<3 {  // three anomalous scores: k of n opens at the third, without a finding
            if let snapshot = scored.observe(observation(index, 0.7)) { states.append("\(snapshot.state.rawValue):\(snapshot.finding ?? "-")") }
        }
        var stuck = observation(3, 0.7)
        stuck.finding = "stuck_sensor"
        _ = scored.observe(stuck)
        for index in 4..<6 {
            if let snapshot = scored.observe(observation(index, 0.4)) { states.append("\(snapshot.state.rawValue):\(snapshot.finding ?? "-")") }
        }
        #expect(states == ["open:-", "closed:stuck_sensor"])
    }

    @Test("The onset is the earliest window start of the messages that opened the event, never before the last event ended nor after the alarm")
    func onset() {
        var tracker = EventTracker(policy: EventPolicy(openCount: 3, openWindow: 5, closeAfter: 2))
        func windowed(_ index: Int, _ score: Double) -> EventTracker.Observation {
            var observation = observation(index, score)
            observation.windowStart = Timestamp(milliseconds: Int64(index - 9) * 1000)  // a rolling window of 10
            return observation
        }
        var opened: [EventTracker.Snapshot] = []
        // 10 and 12 are anomalous, 13 makes three of five: the evidence began with 10's window, at 1.
        for (index, score) in [(10, 0.7), (11, 0.4), (12, 0.7), (13, 0.7)] {
            if let snapshot = tracker.observe(windowed(index, score)), snapshot.state == .open { opened.append(snapshot) }
        }
        #expect(opened.map(\.startedAt.milliseconds) == [13_000] && opened.map(\.onsetAt.milliseconds) == [1_000])
        #expect(tracker.observe(windowed(14, 0.4)) == nil)
        let closed = tracker.observe(windowed(15, 0.4))
        #expect(closed?.state == .closed && closed?.onsetAt.milliseconds == 1_000 && closed?.endedAt?.milliseconds == 15_000)
        // The next event's window reaches back into the last one; its onset stops at the first message after it.
        var immediate = windowed(17, 0.4)
        immediate.anomalous = true
        immediate.immediate = true
        #expect(tracker.observe(windowed(16, 0.4)) == nil)
        let next = tracker.observe(immediate)
        #expect(next?.state == .open && next?.startedAt.milliseconds == 17_000 && next?.onsetAt.milliseconds == 16_000)
        // Without a window start, the onset is the message itself.
        var plain = EventTracker(policy: EventPolicy(openCount: 1, openWindow: 1))
        #expect(plain.observe(observation(5, 0.7))?.onsetAt.milliseconds == 5_000)

        // k of n: the earliest window start of the anomalous messages counts, not the oldest message's.
        var mixed = EventTracker(policy: EventPolicy(openCount: 3, openWindow: 5))
        _ = mixed.observe(observation(20, 0.7))  // a raw value: its own message
        _ = mixed.observe(windowed(21, 0.7))
        #expect(mixed.observe(windowed(22, 0.7))?.onsetAt.milliseconds == 12_000)
        // A message that opens the event alone (a finding) dates it from itself, whatever came before it.
        var finding = EventTracker(policy: EventPolicy(openCount: 3, openWindow: 5))
        _ = finding.observe(windowed(30, 0.7))
        var stuck = observation(31, 0.4, anomalous: true)
        stuck.immediate = true
        #expect(finding.observe(stuck)?.onsetAt.milliseconds == 31_000)
        // A clock that stepped back after the last event never puts the onset after the alarm.
        var stepped = EventTracker(policy: EventPolicy(openCount: 1, openWindow: 1, closeAfter: 1))
        _ = stepped.observe(observation(50, 0.7))
        _ = stepped.observe(observation(51, 0.4))  // closes
        _ = stepped.observe(observation(52, 0.4))  // the floor: 52 s
        #expect(stepped.observe(observation(40, 0.7))?.onsetAt.milliseconds == 40_000)
    }

    @Test("Flapping input below k of n never opens, and a flapping episode stays one event")
    func flapping() {
        var quiet = EventTracker(policy: EventPolicy(openCount: 3, openWindow: 5, closeAfter: 3))
        for index in 0..<200 {
            #expect(quiet.observe(observation(index, index % 3 == 0 ? 0.8 : 0.4)) == nil)
        }
        var noisy = EventTracker(policy: EventPolicy(openCount: 2, openWindow: 4, closeAfter: 3, updateInterval: 1_000_000))
        var states: [AnomalyEvent.State] = []
        for index in 0..<100 {
            if let snapshot = noisy.observe(observation(index, index % 2 == 0 ? 0.8 : 0.4)) { states.append(snapshot.state) }
        }
        #expect(states == [.open])
    }

    @Test("Invalid policies are refused with the key named")
    func validation() {
        #expect(throws: DetectionError.self) { try EventPolicy(openCount: 6, openWindow: 5).validate() }
        #expect(throws: DetectionError.self) { try EventPolicy(closeAfter: 0).validate() }
        #expect(throws: DetectionError.self) { try EventPolicy(openWindow: 65).validate() }
    }
}
