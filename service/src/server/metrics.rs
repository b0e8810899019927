//! Prometheus metrics: appends, batch sizes, latency, log size.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The service's metrics, registered in their own registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Records submitted, by outcome (`appended`, `duplicate`, `conflict`, `refused`, `error`).
    pub appends: IntCounterVec,
    /// Records per integrated batch.
    pub batch_size: Histogram,
    /// Seconds from enqueue to durable acknowledgement.
    pub append_latency: Histogram,
    /// HTTP request durations by route and status class.
    pub http_latency: HistogramVec,
    /// Current log size.
    pub log_size: IntGauge,
    /// Cosignatures gathered, by witness and result.
    pub cosignatures: IntCounterVec,
}

impl Metrics {
    /// Creates and registers all metrics.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("zkaudit".into()), None)
            .expect("static registry prefix is valid");
        let appends = IntCounterVec::new(
            Opts::new("appends_total", "Records submitted, by outcome"),
            &["outcome"],
        )
        .expect("static metric");
        let batch_size = Histogram::with_opts(
            HistogramOpts::new("batch_size", "Records per integrated batch").buckets(vec![
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
            ]),
        )
        .expect("static metric");
        let append_latency = Histogram::with_opts(
            HistogramOpts::new(
                "append_latency_seconds",
                "Time from enqueue to durable acknowledgement",
            )
            .buckets(prometheus::exponential_buckets(0.0005, 2.0, 14).expect("static buckets")),
        )
        .expect("static metric");
        let http_latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request durations"),
            &["method", "status"],
        )
        .expect("static metric");
        let log_size = IntGauge::new("log_size", "Entries in the log").expect("static metric");
        let cosignatures = IntCounterVec::new(
            Opts::new(
                "cosignatures_total",
                "Witness cosignature requests, by result",
            ),
            &["witness", "result"],
        )
        .expect("static metric");
        for m in [
            Box::new(appends.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(batch_size.clone()),
            Box::new(append_latency.clone()),
            Box::new(http_latency.clone()),
            Box::new(log_size.clone()),
            Box::new(cosignatures.clone()),
        ] {
            registry.register(m).expect("metric names are unique");
        }
        Self {
            registry,
            appends,
            batch_size,
            append_latency,
            http_latency,
            log_size,
            cosignatures,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding into a Vec cannot fail");
        String::from_utf8(out).expect("prometheus text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
