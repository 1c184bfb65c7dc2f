import Agent
import Evaluation
import Telemetry

/// One push to the dashboard: new points of the watched device, its true-anomaly spans, recent events,
/// health, accuracy and, when the stream decides so, the device list. Sent every second over Server-Sent
/// Events.
struct LiveFrame: Sendable, Encodable {
    var ts: Timestamp
    var device: String?
    var series: LiveSeries?
    var truth: [Interval]
    var events: [AnomalyEvent]
    var health: HealthReport?
    var accuracy: LiveAccuracy
    /// Absent when the stream left it out (`includeDevices`): the page keeps the list it has.
    var devices: [LiveDevice]?
    var ready: Bool
    var readiness: String

    /// The frame for `device` (the first device when nil) with the points after `since`.
    static func make(service: AgentService, device requested: String?, since: Int?, eventLimit: Int = 50, truthLimit: Int = 100,
                     includeDevices: ([LiveDevice]) -> Bool = { _ in true }) -> LiveFrame {
        let devices = service.liveDevices
        let device = requested ?? devices.first?.device
        let readiness = service.readiness
        return LiveFrame(ts: .now(), device: device, series: device.flatMap { service.liveSeries(device: $0, after: since) },
                         truth: device.map { service.truthIntervals(device: $0, limit: truthLimit) } ?? [], events: Array(service.liveEvents.prefix(eventLimit)),
                         health: service.latestHealth, accuracy: service.liveAccuracy(), devices: includeDevices(devices) ? devices : nil,
                         ready: readiness.ready, readiness: readiness.reason)
    }
}
