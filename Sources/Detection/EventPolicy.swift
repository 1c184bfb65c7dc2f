/// When anomalous scores become an event, and when the event ends. Defaults suit 1–10 Hz telemetry.
public struct EventPolicy: Sendable, Hashable, Codable {
    /// Open an event when at least `openCount` of the last `openWindow` messages are anomalous (k of n).
    public var openCount: Int
    public var openWindow: Int
    /// Close it after this many normal messages in a row (m).
    public var closeAfter: Int
    /// Send `update` when the peak score grew by at least this much since the last message about the event…
    public var updateGrowth: Double
    /// …and at least this long after it (milliseconds), so a growing event cannot flood the topic.
    public var updateInterval: Int64
    /// `critical` instead of `warning` when the peak score is this far above the threshold, or a sensor is
    /// more than this many margins outside its training envelope.
    public var criticalMargin: Double

    public init(openCount: Int = 3, openWindow: Int = 5, closeAfter: Int = 10, updateGrowth: Double = 0.02,
                updateInterval: Int64 = 5_000, criticalMargin: Double = 0.1) {
        self.openCount = openCount
        self.openWindow = openWindow
        self.closeAfter = closeAfter
        self.updateGrowth = updateGrowth
        self.updateInterval = updateInterval
        self.criticalMargin = criticalMargin
    }

    public func validate() throws(DetectionError) {
        guard (1...64).contains(openWindow) else { throw DetectionError("events.openWindow must be 1…64, not \(openWindow)") }
        guard (1...openWindow).contains(openCount) else {
            throw DetectionError("events.openCount must be 1…openWindow (\(openWindow)), not \(openCount)")
        }
        guard closeAfter >= 1 else { throw DetectionError("events.closeAfter must be at least 1, not \(closeAfter)") }
        guard updateGrowth > 0, updateGrowth.isFinite else { throw DetectionError("events.updateGrowth must be positive") }
        guard updateInterval >= 0 else { throw DetectionError("events.updateInterval must not be negative") }
        guard criticalMargin >= 0, criticalMargin.isFinite else { throw DetectionError("events.criticalMargin must not be negative") }
    }
}
