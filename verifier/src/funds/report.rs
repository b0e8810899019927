//! A period report's proof: the whole halo2 period proof (the chunks of the
//! period's staged `report.part` records and of the report itself) against
//! the period's commitments in log order, its totals and final blinding.
//! Checked offline by [`FundsBundle::verify`](super::FundsBundle::verify),
//! and by the service before it logs a report.

use zkaudit_circuits::funds::{
    ChainStart, FundsError, FundsParams, FundsVerifyingKey, PeriodProof, field_from_bytes,
    verify_period, verify_period_from,
};
use zkaudit_ledger::funds::{Period, Report};

/// Verifies `report` for `period` with the period's circuit shape: the
/// whole period proof (the staged parts' chunks and the report's) against
/// the period's commitments in log order, the published totals and final
/// blinding. [`FundsBundle::verify`](super::FundsBundle::verify) runs it
/// offline.
pub fn verify_report(
    period: &Period,
    report: &Report,
    params: &FundsParams,
    vk: &FundsVerifyingKey,
) -> std::result::Result<(), FundsError> {
    let proof = period.full_proof(report)?;
    let blinding = field_from_bytes(&report.final_blinding)?;
    verify_period(
        &period.commitments(),
        &report.totals,
        blinding,
        &proof,
        params,
        vk,
    )
}

/// Verifies the last run `tail` of a report whose earlier chunks the
/// period's staged parts hold (verified, each, when it was logged): the
/// run's chunks against their slices of the log, starting at `start`
/// ([`Period::staged_end`]), and the totals. The service runs this before
/// logging a report, with the run and start
/// [`FundsBook::check`](zkaudit_ledger::funds::FundsBook::check) decoded.
pub fn verify_report_tail(
    period: &Period,
    report: &Report,
    start: ChainStart,
    tail: &PeriodProof,
    params: &FundsParams,
    vk: &FundsVerifyingKey,
) -> std::result::Result<(), FundsError> {
    let blinding = field_from_bytes(&report.final_blinding)?;
    verify_period_from(
        &period.commitments(),
        &report.totals,
        blinding,
        start,
        tail,
        params,
        vk,
    )
}
