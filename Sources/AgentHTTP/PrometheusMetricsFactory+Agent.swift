import Prometheus

extension PrometheusMetricsFactory {
    /// The Prometheus backend with buckets that fit the agent: scoring takes microseconds, an event's
    /// way from the sensor's timestamp to the broker milliseconds (the defaults start at 5 ms).
    public static func agent(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["edge_anomaly_scoring_duration_seconds"] =
            [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000].map { Duration.microseconds($0) }
        factory.durationHistogramBuckets["edge_anomaly_event_latency_seconds"] =
            [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000].map { Duration.milliseconds($0) }
        return factory
    }
}
