import Foundation
import MQTT
import Synchronization

/// Prints a progress line every few seconds while a run goes on, and the summary at its end.
struct ProgressReporter {
    let interval: Duration
    let sink: MessageSink
    let started = ContinuousClock.now
    private var lastReport = ContinuousClock.now
    private var lastSent = 0

    init(interval: Duration, sink: MessageSink) {
        self.interval = interval
        self.sink = sink
    }

    /// Prints a line if the interval has passed; `state` adds a word such as `paused`.
    mutating func tick(state: String? = nil) {
        let now = ContinuousClock.now
        guard interval > .zero, now - lastReport >= interval else { return }
        let counts = sink.counts
        let sent = counts.sent.load(ordering: .relaxed)
        let rate = Double(sent - lastSent) / (now - lastReport).seconds
        var words = ["progress: \(format(elapsed.seconds, decimals: 0)) s", "sent \(sent) (\(format(rate, decimals: 1))/s)",
                     "unsent \(counts.unsent.load(ordering: .relaxed))", "truth \(counts.truthSent.load(ordering: .relaxed))"]
        words.append(state ?? (sink.client.isConnected ? "connected" : "disconnected"))
        Console.status(words.joined(separator: ", "))
        lastReport = now
        lastSent = sent
    }

    var elapsed: Duration { ContinuousClock.now - started }

    /// The last line of a run, with stable `key=value` fields for scripts and tests.
    func summary(what: String, extra: [String] = []) -> String {
        let counts = sink.counts
        let sent = counts.sent.load(ordering: .relaxed)
        let seconds = elapsed.seconds
        var fields = ["sent=\(sent)", "unsent=\(counts.unsent.load(ordering: .relaxed))", "failed=\(counts.failed.load(ordering: .relaxed))"]
        if sink.qos != .atMostOnce { fields.append("acknowledged=\(counts.acknowledged.load(ordering: .relaxed))") }
        fields += ["truth=\(counts.truthSent.load(ordering: .relaxed))", "truth_acknowledged=\(counts.truthAcknowledged.load(ordering: .relaxed))",
                   "disconnects=\(sink.client.statistics.disconnects)",
                   "seconds=\(format(seconds, decimals: 1))", "rate=\(format(seconds > 0 ? Double(sent) / seconds : 0, decimals: 1))"]
        return "summary: \(what): " + (fields + extra).joined(separator: " ")
    }

    private func format(_ value: Double, decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
