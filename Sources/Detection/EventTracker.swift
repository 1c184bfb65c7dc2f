import Telemetry

/// One device's event state machine: k of n anomalous messages open an event, a materially higher
/// peak (rate-limited) sends an update, m normal messages in a row close it. One event per episode.
public struct EventTracker: Sendable {
    /// One scored message, as the tracker needs it.
    public struct Observation: Sendable {
        public var ts: Timestamp
        public var seq: Int64?
        public var score: Double
        public var anomalous: Bool
        /// Severity this message alone would justify.
        public var severity: AnomalyEvent.Severity
        public var contributors: [AnomalyEvent.Contributor]
        /// Opens an event at once, without waiting for k of n (a value far outside anything seen in training
        /// is no statistical fluke, and a one-message spike must not slip through).
        public var immediate: Bool
        /// A data-quality finding behind this observation (`DataQualityMonitor.Finding`'s raw value), if any.
        public var finding: String?
        /// The oldest message in this message's rolling window (`ts` without rolling features): an event
        /// this message opens began there at the earliest.
        public var windowStart: Timestamp

        public init(ts: Timestamp, seq: Int64?, score: Double, anomalous: Bool, severity: AnomalyEvent.Severity,
                    contributors: [AnomalyEvent.Contributor], immediate: Bool = false, finding: String? = nil,
                    windowStart: Timestamp? = nil) {
            self.ts = ts
            self.seq = seq
            self.score = score
            self.anomalous = anomalous
            self.severity = severity
            self.contributors = contributors
            self.immediate = immediate
            self.finding = finding
            self.windowStart = windowStart ?? ts
        }
    }

    /// The event as it stands; `state` says what just happened to it.
    public struct Snapshot: Sendable, Equatable {
        public var number: Int
        public var state: AnomalyEvent.State
        public var startedAt: Timestamp
        /// Where the episode began at the earliest (`AnomalyEvent.onsetAt`).
        public var onsetAt: Timestamp
        public var ts: Timestamp
        public var endedAt: Timestamp?
        public var score: Double
        public var peakScore: Double
        public var severity: AnomalyEvent.Severity
        /// The contributors at the peak.
        public var contributors: [AnomalyEvent.Contributor]
        public var triggerSeq: Int64?
        /// The first data-quality finding of the episode; nil while only scores made it anomalous.
        public var finding: String?
    }

    public let policy: EventPolicy
    private var recent: UInt64 = 0
    private var recentCount = 0
    private var normalRun = 0
    private var lastReported: Timestamp = Timestamp(milliseconds: .min)
    private var reportedPeak = 0.0
    private var nextNumber: Int
    /// The window starts of the last `openWindow` messages, newest at `recentStarts[newestStart]`.
    private var recentStarts: [Int64]
    private var newestStart = 0
    /// No onset lies before this: the first message after the last event closed.
    private var onsetFloor = Int64.min
    private var closedJustNow = false
    public private(set) var current: Snapshot?

    /// - Parameter firstNumber: the number of the first event, for event ids.
    public init(policy: EventPolicy, firstNumber: Int = 1) {
        self.policy = policy
        nextNumber = firstNumber
        recentStarts = [Int64](repeating: .min, count: max(1, policy.openWindow))
    }

    public var isOpen: Bool { current != nil }

    /// Feeds one scored message; returns the event message to publish, if any.
    public mutating func observe(_ observation: Observation) -> Snapshot? {
        let mask: UInt64 = policy.openWindow == 64 ? .max : (1 << UInt64(policy.openWindow)) - 1
        recent = ((recent << 1) | (observation.anomalous ? 1 : 0)) & mask
        recentCount = recent.nonzeroBitCount
        newestStart = newestStart + 1 == recentStarts.count ? 0 : newestStart + 1
        recentStarts[newestStart] = observation.windowStart.milliseconds
        if closedJustNow {
            onsetFloor = observation.ts.milliseconds
            closedJustNow = false
        }

        guard var event = current else {
            guard observation.anomalous, recentCount >= policy.openCount || observation.immediate else { return nil }
            let event = Snapshot(number: nextNumber, state: .open, startedAt: observation.ts, onsetAt: onset(of: observation), ts: observation.ts, endedAt: nil,
                                 score: observation.score, peakScore: observation.score, severity: observation.severity,
                                 contributors: observation.contributors, triggerSeq: observation.seq, finding: observation.finding)
            nextNumber += 1
            current = event
            normalRun = 0
            lastReported = observation.ts
            reportedPeak = observation.score
            return event
        }

        event.ts = observation.ts
        event.score = observation.score
        if observation.anomalous {
            normalRun = 0
            // The first finding names the episode; it rides along with the next message about the event.
            if event.finding == nil { event.finding = observation.finding }
            let newPeak = observation.score > event.peakScore
            if newPeak {
                event.peakScore = observation.score
                event.contributors = observation.contributors
            }
            let escalated = observation.severity > event.severity
            if escalated {
                // The message that escalated the event says what escalated it.
                event.severity = observation.severity
                event.contributors = observation.contributors
            }
            current = event
            let grewMaterially = event.peakScore - reportedPeak >= policy.updateGrowth
            let dueAgain = observation.ts.milliseconds - lastReported.milliseconds >= policy.updateInterval
            guard escalated || (grewMaterially && dueAgain) else { return nil }
            lastReported = observation.ts
            reportedPeak = event.peakScore
            event.state = .update
            return event
        }

        normalRun += 1
        guard normalRun >= policy.closeAfter else {
            current = event
            return nil
        }
        event.state = .closed
        event.endedAt = observation.ts
        current = nil
        recent = 0
        normalRun = 0
        closedJustNow = true
        return event
    }

    /// Where the evidence that opens an event with `observation` began: its own window start when it opens
    /// the event alone (`immediate`), else the earliest window start of the anomalous messages among the last
    /// `openWindow` (k of n). Never before the previous event's end, nor after the opening message.
    private func onset(of observation: Observation) -> Timestamp {
        var earliest = observation.windowStart.milliseconds
        if !observation.immediate {
            for back in 0..<recentStarts.count where recent & (1 << UInt64(back)) != 0 {
                earliest = min(earliest, recentStarts[(newestStart - back + recentStarts.count) % recentStarts.count])
            }
        }
        return Timestamp(milliseconds: min(max(earliest, onsetFloor), observation.ts.milliseconds))
    }
}
