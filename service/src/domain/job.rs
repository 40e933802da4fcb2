//! Long work that runs outside a request: the job's kind and where it stands.

use super::vocabulary::text_enum;

text_enum!(
    /// What a job does.
    pub enum JobKind("job kind") {
        /// Adopt a policy: rescore every shop under it.
        AdoptPolicy => "adopt_policy",
        /// Back-test a policy over the whole district without storing anything.
        BacktestPolicy => "backtest_policy",
    }
);

text_enum!(
    /// Where a job stands.
    pub enum JobStatus("job status") {
        /// Waiting for a worker.
        Queued => "queued",
        /// A worker is on it.
        Running => "running",
        /// Finished; the result is there.
        Succeeded => "succeeded",
        /// Stopped with an error.
        Failed => "failed",
    }
);
