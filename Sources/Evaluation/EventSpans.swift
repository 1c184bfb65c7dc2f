import Telemetry

/// The time one device's anomaly events cover, for point-wise figures from events ("rows inside events"):
/// each event from its start to its end, an event still open to the end of time. Events may arrive more than
/// once (QoS 1) and in any order of their messages; an event is known by its id.
public struct EventSpans: Sendable {
    /// Where an event's span starts.
    public enum Start: Sendable, CaseIterable {
        /// `onset_at`: where the anomaly began as far as the detector can tell.
        case onset
        /// `started_at`: when the event was raised.
        case alarm
    }

    /// Disjoint, sorted spans (milliseconds, both ends included).
    public let spans: [ClosedRange<Int64>]

    public init(events: [AnomalyEvent], from start: Start) {
        var begins: [String: Int64] = [:], ends: [String: Int64] = [:]
        for event in events {
            let begin = (start == .onset ? event.spanStart : event.startedAt).milliseconds
            begins[event.eventID] = min(begins[event.eventID] ?? begin, begin)
            if event.state == .closed { ends[event.eventID] = event.endedAt?.milliseconds ?? event.ts.milliseconds }
        }
        let sorted = begins.map { id, begin in begin...max(begin, ends[id] ?? .max) }.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int64>] = []
        for span in sorted {
            if let last = merged.last, span.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, span.upperBound)
            } else {
                merged.append(span)
            }
        }
        spans = merged
    }

    /// Whether an event covers the moment `ts`.
    public func covers(_ ts: Int64) -> Bool {
        // The last span starting at or before ts is the only one that can hold it.
        var low = 0, high = spans.count
        while low < high {
            let middle = (low + high) / 2
            if spans[middle].lowerBound <= ts { low = middle + 1 } else { high = middle }
        }
        return low > 0 && spans[low - 1].contains(ts)
    }
}
