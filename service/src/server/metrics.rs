//! Prometheus metrics: appends, batch sizes, latency, where a submission's
//! time goes, log size, storage faults and witness progress.

use std::time::Instant;

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
    /// Seconds a submission spends in each [`Stage`] on its way to the
    /// log, by stage: where the time of a slow or saturated service goes.
    pub stage_seconds: HistogramVec,
    /// `stage_seconds` of each [`Stage`], looked up once here rather than
    /// by label on every observation.
    stages: [Histogram; Stage::ALL.len()],
    /// Proofs per batch check.
    pub proof_batch_size: Histogram,
    /// Seconds per batch check (one multi-pairing, and the bisection of a
    /// batch that fails).
    pub proof_batch_seconds: Histogram,
    /// Seconds per storage transaction integrating a batch of records (its
    /// writes and one sync).
    pub commit_seconds: Histogram,
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
        let batch_size = histogram("batch_size", "Records per integrated batch", size_buckets());
        let append_latency = histogram(
            "append_latency_seconds",
            "Time from enqueue to durable acknowledgement",
            prometheus::exponential_buckets(0.0005, 2.0, 14).expect("static buckets"),
        );
        let http_latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request durations"),
            &["method", "status"],
        )
        .expect("static metric");
        let stage_seconds = HistogramVec::new(
            HistogramOpts::new(
                "submit_stage_seconds",
                "Seconds a submission spends in each stage on its way to the log",
            )
            .buckets(fine_buckets()),
            &["stage"],
        )
        .expect("static metric");
        let stages = Stage::ALL.map(|stage| stage_seconds.with_label_values(&[stage.label()]));
        let proof_batch_size =
            histogram("proof_batch_size", "Proofs per batch check", size_buckets());
        let proof_batch_seconds = histogram(
            "proof_batch_seconds",
            "Seconds per batch check of proofs",
            fine_buckets(),
        );
        let commit_seconds = histogram(
            "commit_seconds",
            "Seconds per storage transaction integrating a batch",
            fine_buckets(),
        );
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
            Box::new(stage_seconds.clone()),
            Box::new(proof_batch_size.clone()),
            Box::new(proof_batch_seconds.clone()),
            Box::new(commit_seconds.clone()),
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
            stage_seconds,
            stages,
            proof_batch_size,
            proof_batch_seconds,
            commit_seconds,
            log_size,
            cosignatures,
            storage_faults,
            storage_fault,
            witness_cosigned_size,
        }
    }

    /// The histogram of one stage.
    pub fn stage(&self, stage: Stage) -> &Histogram {
        &self.stages[stage as usize]
    }

    /// Records the time since `started` as spent in `stage`.
    pub fn observe_since(&self, stage: Stage, started: Instant) {
        self.stage(stage).observe(started.elapsed().as_secs_f64());
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

/// A stage of a submission's way to the log, as [`Metrics::stage_seconds`]
/// labels it. A ballot passes through all of them in this order; a record
/// authorised by a signature skips the proof's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for a thread of the blocking pool, which judges records
    /// whose admission reads the store or checks a proof.
    BlockingStart,
    /// Judging and admitting a record on the blocking pool, its proof
    /// check included (a record judged in memory, on the runtime, is not
    /// observed here).
    Judge,
    /// Weighting a proof for its batch check (`r·A`, `B` prepared).
    ProofWeigh,
    /// A weighted proof queued until the check of its batch starts.
    ProofQueue,
    /// From queueing a weighted proof to its verdict: the queue, its
    /// batch's check, and the answer's way back.
    ProofVerdict,
    /// An admitted record queued until the sequencer collects its batch
    /// (the whole way to its acknowledgement is
    /// [`Metrics::append_latency`]).
    AppendQueue,
}

impl Stage {
    /// Every stage, in a ballot's order (and the order of declaration,
    /// which [`Metrics::stage`] indexes by).
    pub const ALL: [Stage; 6] = [
        Stage::BlockingStart,
        Stage::Judge,
        Stage::ProofWeigh,
        Stage::ProofQueue,
        Stage::ProofVerdict,
        Stage::AppendQueue,
    ];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Stage::BlockingStart => "blocking_start",
            Stage::Judge => "judge",
            Stage::ProofWeigh => "proof_weigh",
            Stage::ProofQueue => "proof_queue",
            Stage::ProofVerdict => "proof_verdict",
            Stage::AppendQueue => "append_queue",
        }
    }
}

/// A histogram with `buckets`, to register.
fn histogram(name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)).expect("static metric")
}

/// Batch sizes: 1 to 1024, doubling.
fn size_buckets() -> Vec<f64> {
    prometheus::exponential_buckets(1.0, 2.0, 11).expect("static buckets")
}

/// Buckets from 50 µs to about 3.3 s, doubling: a stage of a fast
/// submission takes tens of microseconds, a saturated queue seconds.
fn fine_buckets() -> Vec<f64> {
    prometheus::exponential_buckets(0.000_05, 2.0, 17).expect("static buckets")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_is_observed_under_its_own_label() {
        let metrics = Metrics::new();
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            metrics.stage(stage).observe(i as f64 + 1.0);
        }
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            let labelled = metrics.stage_seconds.with_label_values(&[stage.label()]);
            assert_eq!(labelled.get_sample_count(), 1, "{stage:?}");
            assert_eq!(labelled.get_sample_sum(), i as f64 + 1.0, "{stage:?}");
        }
    }
}
