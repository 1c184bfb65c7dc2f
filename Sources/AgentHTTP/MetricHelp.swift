/// `# HELP` lines for `/metrics`. swift-metrics carries no help text and swift-prometheus refuses a
/// second registration with other help, so the text is added to the exposition on the way out.
enum MetricHelp {
    static let texts: [String: String] = [
        "edge_anomaly_messages_received_total": "Telemetry messages received.",
        "edge_anomaly_messages_scored_total": "Telemetry messages scored by the model.",
        "edge_anomaly_messages_warming_up_total": "Messages accepted while a device's feature window was still filling.",
        "edge_anomaly_messages_missing_by_seq_total": "Messages missing by gaps in seq (the errors topic's seq_gap).",
        "edge_anomaly_messages_with_unknown_sensors_total": "Scored messages that carried sensors the model does not know (unknown_sensor).",
        "edge_anomaly_messages_rejected_total": "Messages rejected, by reason (also reported on the errors topic).",
        "edge_anomaly_events_total": "Anomaly event messages published, by state (open, update, closed).",
        "edge_anomaly_events_open": "Devices with an open anomaly event.",
        "edge_anomaly_scoring_duration_seconds": "Parse, features and forest per message.",
        "edge_anomaly_event_latency_seconds": "From the telemetry timestamp that opened or updated an event to its publication.",
        "edge_anomaly_devices": "Devices by state (active, stale, warming_up), at the last health report.",
        "edge_anomaly_broker_connected": "1 while connected to the broker.",
        "edge_anomaly_broker_connects": "Successful broker connections since start, as a gauge (deprecated: use edge_anomaly_broker_connects_total).",
        "edge_anomaly_broker_connects_total": "Successful broker connections since start (more than 1: reconnects).",
        "edge_anomaly_resident_memory_bytes": "Resident memory of the agent.",
        "edge_anomaly_uptime_seconds": "Seconds since the agent started.",
        "edge_anomaly_model_info": "The loaded model (label model: its content hash); 1 for the current one.",
    ]

    /// The exposition with a `# HELP` line before each `# TYPE` line whose metric has a text.
    static func annotate(_ exposition: [UInt8]) -> String {
        var output = ""
        output.reserveCapacity(exposition.count + 2048)
        for line in String(decoding: exposition, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first, let help = texts[String(name)] {
                output += "# HELP \(name) \(help)\n"
            }
            output += line
            output += "\n"
        }
        return String(output.dropLast())
    }
}
