//! Offline checks: a lot's whole chain of custody, and a patient's access
//! log with a verdict per access, replayed with the book's rules.

use ed25519_dalek::VerifyingKey;

use super::book::{AccessVerdict, HealthBook, LotState};
use super::lots::lot_of;
use super::records::{AccessEvent, patient_of};
use super::{ACCESS, DOMAIN, HealthError, HealthResult, LOT_ADMINISTER, LOT_CORRECT, LOT_TRANSFER};
use crate::record::Record;

/// A lot's verified chain of custody.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceReport {
    /// The lot's final state.
    pub lot: LotState,
    /// Transfers in the chain.
    pub transfers: u64,
    /// Administration records in the chain.
    pub administrations: u64,
    /// Of those, declared erroneous by a `lot.correct`.
    pub corrections: u64,
}

fn at_entry(index: u64, e: HealthError) -> HealthError {
    HealthError::AtEntry {
        index,
        source: Box::new(e),
    }
}

/// What an offline replay is about, for [`replay`].
struct Subject<'a, F> {
    /// Describes a record of another domain.
    foreign: fn(&Record) -> String,
    /// Whether a record of this domain is about the subject.
    is_about: F,
    /// The subject, as errors name it.
    name: &'a str,
}

/// Replays `entries` into a fresh book, checking each before applying it,
/// in this order: that it comes after the previous one in log order, that
/// it is of this domain and about the replay's subject, and that the book
/// accepts it; `visit` then sees it with the book as it stands before the
/// entry is applied. Errors name the entry.
fn replay(
    entries: &[(u64, Record)],
    subject: Subject<'_, impl Fn(&Record) -> HealthResult<bool>>,
    mut visit: impl FnMut(&HealthBook, u64, &Record) -> HealthResult<()>,
) -> HealthResult<HealthBook> {
    let mut book = HealthBook::new();
    let mut previous: Option<u64> = None;
    for (index, record) in entries {
        let index = *index;
        let mut check = || {
            if previous.is_some_and(|p| index <= p) {
                return Err(HealthError::OutOfOrder("entries not in log order".into()));
            }
            if record.domain() != DOMAIN {
                return Err(HealthError::Foreign((subject.foreign)(record)));
            }
            if !(subject.is_about)(record)? {
                return Err(HealthError::Foreign(format!(
                    "{} is not about {}",
                    record.qualified_kind(),
                    subject.name
                )));
            }
            book.check(record)?;
            visit(&book, index, record)
        };
        check().map_err(|e| at_entry(index, e))?;
        previous = Some(index);
        book.apply(index, record);
    }
    Ok(book)
}

/// Checks a lot's whole chain of custody offline: `entries` are
/// `(log index, record)` of every record about `lot`, in log order (their
/// inclusion in the log is checked separately, e.g. by the verifier crate).
/// Record signatures were checked when the records were decoded; this
/// checks countersignatures, order, quantities and expiry by replaying the
/// service's rules, and that the first entry registers the lot.
pub fn verify_trace(lot: &str, entries: &[(u64, Record)]) -> HealthResult<TraceReport> {
    let (mut transfers, mut administrations, mut corrections) = (0, 0, 0);
    let subject = Subject {
        foreign: |record| format!("a {} record", record.qualified_kind()),
        is_about: |record: &Record| Ok(lot_of(record)?.is_some_and(|l| l == lot)),
        name: &format!("lot {lot:?}"),
    };
    let book = replay(entries, subject, |_, _, record| {
        match record.kind() {
            LOT_TRANSFER => transfers += 1,
            LOT_ADMINISTER => administrations += 1,
            LOT_CORRECT => corrections += 1,
            _ => {}
        }
        Ok(())
    })?;
    let lot = book
        .into_lot(lot)
        .ok_or_else(|| HealthError::UnknownLot(lot.to_owned()))?;
    Ok(TraceReport {
        lot,
        transfers,
        administrations,
        corrections,
    })
}

/// One access in a patient's audited log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedAccess {
    /// Log index of the access record.
    pub index: u64,
    /// The access.
    pub access: AccessEvent,
    /// Consented or flagged.
    pub verdict: AccessVerdict,
}

/// Replays a patient's care records offline (every `record.commit`,
/// consent and `access` about `patient`, in log order) and returns every
/// access with its verdict. Fails on an entry that is not about the
/// patient, out of order, or breaks the rules (e.g. an access to a record
/// never committed).
pub fn audit_access(
    patient: &VerifyingKey,
    entries: &[(u64, Record)],
) -> HealthResult<Vec<AuditedAccess>> {
    let mut out = Vec::new();
    let subject = Subject {
        foreign: Record::qualified_kind,
        is_about: |record: &Record| Ok(patient_of(record)?.is_some_and(|p| p == *patient)),
        name: "this patient",
    };
    replay(entries, subject, |book, index, record| {
        if record.kind() == ACCESS {
            let access = AccessEvent::decode(record.payload())?;
            let verdict = book.access_verdict(&access, index);
            out.push(AuditedAccess {
                index,
                access,
                verdict,
            });
        }
        Ok(())
    })?;
    Ok(out)
}
