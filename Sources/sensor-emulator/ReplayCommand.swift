import ArgumentParser
import Foundation
import MQTT
import Simulation
import Telemetry

/// `sensor-emulator replay`: any CSV file over MQTT, for example a public benchmark.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Publish the rows of a CSV file as telemetry, at the pace of its timestamps, faster, or as fast as possible.",
        discussion: """
        Every row becomes one telemetry message: its device (a column, by default one named device; \
        --device; or the file name), its timestamp, and its value columns (by default every numeric column \
        that is not the timestamp, the device, seq or a label). Label columns (by default any of \(ReplayOptions.knownLabelColumns.joined(separator: ", "))) \
        go to sensors/{device}/truth as start and end records whose kind is the column's name.

        Example (SKAB, which needs no other options):
          sensor-emulator replay ../shared/datasets/skab/valve1/0.csv --speedup 10
        """)

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: ArgumentHelp("Field separator: one character, or 'tab' (default: detected from the header).", valueName: "char"))
    var separator: String?

    @Option(help: ArgumentHelp("The timestamp column (default: the first of timestamp, ts, time, datetime, date).", valueName: "name"))
    var timestampColumn: String?

    @Option(help: "auto, epoch-ms, epoch-s, or datetime (YYYY-MM-DD hh:mm:ss[.fff], local-naive unless it ends in Z or an offset).")
    var timestampFormat = "auto"

    @Option(help: ArgumentHelp("Time zone of local-naive date-times: local, UTC or an IANA name such as Europe/Moscow.", valueName: "zone"))
    var timeZone = "local"

    @Option(help: ArgumentHelp("A column holding each row's device id (default: a column named device, unless --device is given).", valueName: "name"))
    var deviceColumn: String?

    @Option(help: ArgumentHelp("The device id of every row (default: the file name; SKAB's valve1/0.csv gives valve1-0).", valueName: "id"))
    var device: String?

    @Option(help: ArgumentHelp("Comma-separated value columns (default: every numeric column but seq, the device and the labels).", valueName: "names"))
    var valueColumns: String?

    @Option(help: ArgumentHelp("Comma-separated label columns for the truth topic (default: the known label names present).", valueName: "names"))
    var labelColumns: String?

    @Flag(help: "Treat no column as a label.")
    var noLabels = false

    @Flag(help: "Shift every timestamp so that the first row is now.")
    var shiftToNow = false

    @Option(help: "Stop after this many rows.")
    var limit: Int?

    @Option(help: ArgumentHelp("Also write the ground truth to this JSON Lines file.", valueName: "file"))
    var truthLog: String?

    @OptionGroup(title: "Sending") var sending: SendingOptions
    @OptionGroup(title: "Broker") var broker: BrokerOptions

    func validate() throws {
        guard TimestampFormat(rawValue: timestampFormat) != nil else {
            throw ValidationError("--timestamp-format must be one of \(TimestampFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard zone != nil else { throw ValidationError("--time-zone \(timeZone.debugDescription) is not a known time zone") }
        if let separator { guard separatorByte(separator) != nil else { throw ValidationError("--separator must be one ASCII character or 'tab'") } }
        if noLabels, labelColumns != nil { throw ValidationError("--no-labels and --label-columns contradict each other") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if device != nil, deviceColumn != nil { throw ValidationError("--device and --device-column contradict each other") }
    }

    private var zone: TimeZone? {
        switch timeZone.lowercased() {
        case "local": .current
        case "utc", "z": TimeZone(identifier: "UTC")
        default: TimeZone(identifier: timeZone)
        }
    }

    private func separatorByte(_ text: String) -> UInt8? {
        if text == "tab" || text == "\\t" { return UInt8(ascii: "\t") }
        guard text.utf8.count == 1, let byte = text.utf8.first, byte < 0x80 else { return nil }
        return byte
    }

    private static func list(_ text: String?) -> [String]? {
        text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    mutating func run() async throws {
        let options = ReplayOptions(separator: separator.flatMap(separatorByte), timestampColumn: timestampColumn,
                                    timestampFormat: TimestampFormat(rawValue: timestampFormat) ?? .auto, timeZone: zone ?? .current,
                                    deviceColumn: deviceColumn, device: device, valueColumns: Self.list(valueColumns),
                                    labelColumns: noLabels ? [] : Self.list(labelColumns))
        let source: ReplaySource
        let log: GroundTruthLog?
        do {
            source = try ReplaySource(path: file, options: options)
            log = try truthLog.map { try GroundTruthLog(path: $0, writeThrough: true) }
        } catch {
            throw EmulatorError("\(error)")
        }
        let telemetryTopic = try TopicOption(sending.telemetryTopic, option: "--telemetry-topic", placeholder: "device")
        let truthTopic = try TopicOption(sending.truthTopic, option: "--truth-topic", placeholder: "device")
        let stop = StopSignal.install()
        let client = try await broker.connect()
        let sink = MessageSink(client: client, qos: MQTTQoS(rawValue: Int32(sending.qos)) ?? .atMostOnce, retain: sending.retain, stop: stop)
        Console.status("replaying \(file): values \(source.valueColumns.joined(separator: ", "))"
            + (source.labelColumns.isEmpty ? "" : "; labels \(source.labelColumns.joined(separator: ", ")) to the truth topic")
            + "; to \(broker.address)")
        var run = ReplayRun(source: source, sink: sink, truthLog: log, telemetryTopic: telemetryTopic, truthTopic: truthTopic,
                            pacer: Pacer(mode: sending.pace), stop: stop, shiftToNow: shiftToNow, limit: limit,
                            progress: ProgressReporter(interval: .seconds(sending.progressInterval), sink: sink))
        var failure: (any Error)?
        let address = broker.address
        await withDiscardingTaskGroup { group in
            group.addTask { await ConnectionWatcher.report(client, address: address) { sink.window.wake() } }
            do {
                try await run.run(group: &group)
            } catch {
                failure = error
            }
            await sink.drain(timeout: .seconds(10))
            group.cancelAll()
        }
        do {
            try log?.close()
        } catch {
            failure = failure ?? error
        }
        var extra: [String] = []
        if source.nonNumericCells > 0 { extra.append("non_numeric_cells=\(source.nonNumericCells)") }
        if source.raggedRows > 0 { extra.append("rows_with_wrong_field_count=\(source.raggedRows)") }
        if source.rowsBackInTime > 0 { extra.append("rows_back_in_time=\(source.rowsBackInTime)") }
        Console.status(run.progress.summary(what: "\(run.published) rows of \(file) from \(source.devices.count) devices", extra: extra))
        await client.shutdown()
        if let failure { throw EmulatorError("\(failure)") }
    }
}
