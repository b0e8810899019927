//! The log's own domain: the authority set (written by the log) and signed
//! public notices (written by any authority granted `ledger/notice`).

use zkaudit_ledger::authority::{AUTHORITY_SET_KIND, AuthoritySet, LEDGER_DOMAIN};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::Pending;

use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;

/// Kind of a signed public notice: UTF-8 text, e.g. the publication of a
/// document's digest.
pub const NOTICE_KIND: &str = "notice";
const MAX_NOTICE: usize = 16 * 1024;

/// The `ledger` domain.
pub struct LedgerDomain;

impl Domain for LedgerDomain {
    fn name(&self) -> &'static str {
        LEDGER_DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            AUTHORITY_SET_KIND => Some(Authorisation::LogOnly),
            NOTICE_KIND => Some(Authorisation::Authority),
            _ => None,
        }
    }

    fn admits_in_memory(&self, kind: &str) -> bool {
        kind == NOTICE_KIND
    }

    fn follows_up(&self, _kind: &str) -> bool {
        false
    }

    fn admit(&self, record: &Record, _state: &AppState) -> ApiResult<Pending> {
        match record.kind() {
            AUTHORITY_SET_KIND => {
                AuthoritySet::decode(record.payload())
                    .map_err(|e| ApiError::unprocessable("invalid_payload", e.to_string()))?;
                Ok(Pending::new(record).topic(b"ledger/authority-set".to_vec()))
            }
            NOTICE_KIND => {
                let text = std::str::from_utf8(record.payload()).map_err(|_| {
                    ApiError::unprocessable("invalid_payload", "a notice must be UTF-8 text")
                })?;
                if text.is_empty() || text.len() > MAX_NOTICE {
                    return Err(ApiError::unprocessable(
                        "invalid_payload",
                        format!("a notice must be 1 to {MAX_NOTICE} bytes"),
                    ));
                }
                Ok(Pending::new(record).topic(b"ledger/notice".to_vec()))
            }
            other => Err(ApiError::unprocessable(
                "unknown_kind",
                format!("the ledger domain has no kind {other:?}"),
            )),
        }
    }
}
