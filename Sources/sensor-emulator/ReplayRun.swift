import Foundation
import Simulation
import Telemetry

/// The `replay` loop: rows in file order, paced by their timestamps, label changes to the truth topic.
struct ReplayRun {
    let source: ReplaySource
    let sink: MessageSink
    let truthLog: GroundTruthLog?
    let telemetryTopic: TopicOption
    let truthTopic: TopicOption
    let pacer: Pacer
    let stop: StopSignal
    let shiftToNow: Bool
    let limit: Int?
    var progress: ProgressReporter
    private(set) var published = 0
    /// Added to every timestamp (non-zero with --shift-to-now).
    private var shift: Int64 = 0
    /// Per device index, as devices appear in the file.
    private var telemetryTopics: [String] = []
    private var truthTopics: [String] = []
    private var encoder: TelemetryEncoder

    init(source: ReplaySource, sink: MessageSink, truthLog: GroundTruthLog?, telemetryTopic: TopicOption, truthTopic: TopicOption,
         pacer: Pacer, stop: StopSignal, shiftToNow: Bool, limit: Int?, progress: ProgressReporter) {
        self.source = source
        self.sink = sink
        self.truthLog = truthLog
        self.telemetryTopic = telemetryTopic
        self.truthTopic = truthTopic
        self.pacer = pacer
        self.stop = stop
        self.shiftToNow = shiftToNow
        self.limit = limit
        self.progress = progress
        encoder = Self.encoder(devices: [], source: source)
    }

    /// Values of a replayed file have no known resolution: shortest round-trip text.
    private static func encoder(devices: [String], source: ReplaySource) -> TelemetryEncoder {
        TelemetryEncoder(devices: devices, sensors: source.valueColumns, formats: source.valueColumns.map { _ in .shortest })
    }

    /// Publishes rows until the file ends, `limit` rows are out, or a stop is requested.
    /// - Throws: `ConfigurationError` for an unreadable row, `EmulatorError` for an unusable topic.
    mutating func run(group: inout DiscardingTaskGroup) async throws {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1024)
        var first: Int64?
        while !stop.isRequested, let record = try source.next() {
            if first == nil {
                first = record.timestamp
                if shiftToNow { shift = Timestamp.now().milliseconds - record.timestamp }
            }
            await pacer.wait(until: Double(record.timestamp - (first ?? 0)) / 1000, stop: stop)
            if record.deviceIndex >= telemetryTopics.count {
                telemetryTopics = try telemetryTopic.render(source.devices)
                truthTopics = try truthTopic.render(source.devices)
                encoder = Self.encoder(devices: source.devices, source: source)
            }
            try publish(record.truth, group: &group)
            encoder.encode(device: record.deviceIndex, timestamp: record.timestamp + shift, seq: record.seq, values: record.values, into: &buffer)
            await sink.publishTelemetry(topic: telemetryTopics[record.deviceIndex], payload: buffer, group: &group)
            published += 1
            progress.tick()
            if let limit, published >= limit { break }
        }
        try publish(source.finish(), group: &group)
    }

    private func publish(_ records: [GroundTruthRecord], group: inout DiscardingTaskGroup) throws {
        for var record in records {
            record.ts.milliseconds += shift
            try truthLog?.append(record)
            guard let index = source.devices.firstIndex(of: record.device), index < truthTopics.count else { continue }
            sink.publishTruth(topic: truthTopics[index], record: record, group: &group)
        }
    }
}
