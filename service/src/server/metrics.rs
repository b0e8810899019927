//! Prometheus metrics: appends, batch sizes, latency, log size, storage
//! faults and witness progress.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
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
    /// Batches refused by a storage fault, by fault (`disk_full`, `io`,
    /// `unreachable`).
    pub storage_faults: IntCounterVec,
    /// 1 while writes are refused by a storage fault, else 0.
    pub storage_fault: IntGauge,
    /// The largest checkpoint size each witness has cosigned.
    pub witness_cosigned_size: IntGaugeVec,
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
        let storage_faults = IntCounterVec::new(
            Opts::new(
                "storage_faults_total",
                "Batches refused by a storage fault, by fault",
            ),
            &["fault"],
        )
        .expect("static metric");
        let storage_fault = IntGauge::new(
            "storage_fault",
            "1 while writes are refused by a storage fault",
        )
        .expect("static metric");
        let witness_cosigned_size = IntGaugeVec::new(
            Opts::new(
                "witness_cosigned_size",
                "Largest checkpoint size each witness has cosigned",
            ),
            &["witness"],
        )
        .expect("static metric");
        for m in [
            Box::new(appends.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(batch_size.clone()),
            Box::new(append_latency.clone()),
            Box::new(http_latency.clone()),
            Box::new(log_size.clone()),
            Box::new(cosignatures.clone()),
            Box::new(storage_faults.clone()),
            Box::new(storage_fault.clone()),
            Box::new(witness_cosigned_size.clone()),
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
            storage_faults,
            storage_fault,
            witness_cosigned_size,
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
