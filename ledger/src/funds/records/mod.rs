//! The funds payloads and their canonical codecs, and the field rules
//! they share: budgets, contracts and expenditures (`budget`), period
//! reports (`report`), audit requests, answers and samples (`audit`).

mod audit;
mod budget;
mod report;

pub use audit::{AuditOpening, AuditRequest, OpenedItem, audit_positions, derive_sample};
pub use budget::{Budget, Category, Contract, ContractSource, Expenditure, document_digest};
pub use report::{Report, ReportPart};

use super::error::invalid;
use zkaudit_circuits::funds::field_from_bytes;

use super::{FundsResult, MAX_LABEL, MAX_PERIOD};
use crate::codec::Reader;

/// Period ids: 1 to 32 bytes of `[A-Za-z0-9-.]` (they appear in URL paths).
pub fn is_valid_period(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_PERIOD
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
}

pub(super) fn read_period(r: &mut Reader<'_>) -> FundsResult<String> {
    let id = r.str("period", MAX_PERIOD)?.to_owned();
    if !is_valid_period(&id) {
        return Err(invalid("period: 1-32 of [A-Za-z0-9-.]"));
    }
    Ok(id)
}

pub(super) fn read_label(r: &mut Reader<'_>, what: &'static str) -> FundsResult<String> {
    let label = r.str(what, MAX_LABEL)?.to_owned();
    if label.chars().any(char::is_control) {
        return Err(invalid(format!("{what}: control characters")));
    }
    Ok(label)
}

pub(super) fn read_field(r: &mut Reader<'_>, what: &'static str) -> FundsResult<[u8; 32]> {
    let bytes = r.array::<32>(what)?;
    field_from_bytes(&bytes)
        .map_err(|_| invalid(format!("{what}: not a canonical Pallas field element")))?;
    Ok(bytes)
}

pub(super) fn read_u128(r: &mut Reader<'_>, what: &'static str) -> FundsResult<u128> {
    Ok(u128::from_be_bytes(r.array::<16>(what)?))
}
