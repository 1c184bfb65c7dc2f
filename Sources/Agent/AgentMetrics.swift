import Detection
import Telemetry

/// Counters and latency histograms of the agent, updated on the hot path under the agent's lock.
struct AgentMetrics: Sendable {
    var received = 0
    var scored = 0
    var warmingUp = 0
    var rejected = 0
    var rejectedByReason: [RejectReason: Int] = [:]
    var learning = 0
    var missingBySeq = 0
    var withUnknownSensors = 0
    var opened = 0
    var updated = 0
    var closed = 0
    var publishFailures = 0
    var scoring = LatencyHistogram()
    var ingest = LatencyHistogram()
    var endToEnd = LatencyHistogram()
    /// `received` and `scored` at the last health report, for rates.
    var receivedAtLastReport = 0
    var scoredAtLastReport = 0

    mutating func count(_ outcome: Detector.Outcome) {
        switch outcome.status {
        case .scored: scored += 1
        case .warmingUp: warmingUp += 1
        case .rejected(let rejection):
            rejected += 1
            rejectedByReason[rejection.reason, default: 0] += 1
        }
        if outcome.seqGap > 0 {
            let (sum, overflow) = missingBySeq.addingReportingOverflow(Int(outcome.seqGap))
            missingBySeq = overflow ? .max : sum
        }
        if !outcome.unknownSensors.isEmpty { withUnknownSensors += 1 }
        if let event = outcome.event {
            switch event.state {
            case .open: opened += 1
            case .update: updated += 1
            case .closed: closed += 1
            }
        }
    }
}

/// At most `rate` reports per second with a burst of `rate`; what is held back is counted per reason
/// and reported with the next report of that reason.
struct ErrorReportLimiter: Sendable {
    let rate: Double
    private var tokens: Double
    private var lastRefill: Double
    private var suppressed: [RejectReason: Int] = [:]

    init(rate: Double, now: Double) {
        self.rate = rate
        tokens = rate
        lastRefill = now
    }

    /// Whether to report now; if so, how many messages of this reason the report stands for.
    mutating func admit(_ reason: RejectReason, now: Double) -> Int? {
        tokens = min(rate, tokens + (now - lastRefill) * rate)
        lastRefill = now
        guard tokens >= 1 else {
            suppressed[reason, default: 0] += 1
            return nil
        }
        tokens -= 1
        return 1 + (suppressed.removeValue(forKey: reason) ?? 0)
    }
}
