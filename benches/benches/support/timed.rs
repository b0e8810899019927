//! What a load run measured: how long it took and each answer's latency.

use std::time::Duration;

/// The answers of one load run: its wall time and every answer's latency,
/// sorted.
pub struct Timed {
    /// From the first request to the last answer.
    pub elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Timed {
    /// A run of `elapsed` whose answers took `latencies` (in any order).
    pub fn new(elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Self { elapsed, latencies }
    }

    /// Answers received.
    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    /// Answers per second over the whole run.
    pub fn rate(&self) -> f64 {
        self.count() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency below which a fraction `p` of the answers came (`1.0`:
    /// the slowest).
    pub fn percentile(&self, p: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        self.latencies[((last as f64) * p).round() as usize]
    }
}
