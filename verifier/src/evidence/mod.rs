//! Log evidence: logged records, each with an inclusion proof against one
//! signed checkpoint — the one shape every offline bundle carries its
//! records in.
//!
//! A claim, an election, a funds period, a parcel's history and a health
//! extract all hand out their records this way: one checkpoint, signed by
//! the log, and for each record a [`LogEntry`] — its index, its leaf bytes
//! and the RFC 9162 audit path to that checkpoint's root. [`Evidence`] is
//! that shape as a document of its own kind (its format tag says which, see
//! [`EvidenceKind`]); [`LogEvidence`] is the kind bundles embed.
//! [`Evidence::verify`] checks all of it and hands back the decoded,
//! signature-checked records as [`VerifiedEvidence`], so a domain's
//! verifier only has to check its own rules on them.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::{expect_format, malformed};
use crate::log::open_checkpoint;

mod authority;
mod entry;
mod verified;

pub(crate) use authority::granted;
pub use entry::{LogEntry, proofs_by_index};
pub(crate) use verified::is_log_record;
pub use verified::{Order, VerifiedEvidence};

/// Format tag of the log evidence bundles carry ([`LogEvidence`]).
pub const EVIDENCE_FORMAT: &str = "zkaudit-evidence/v1";

/// A kind of [`Evidence`]: its format tag and what it promises about its
/// entries besides their proofs.
pub trait EvidenceKind {
    /// The format tag documents of this kind carry.
    const FORMAT: &'static str;
    /// How the entries are ordered.
    const ORDER: Order;
    /// Most entries a document may carry, if bounded.
    const MAX_ENTRIES: Option<usize>;
}

/// The evidence claim, election and funds bundles carry (and
/// `GET /v1/log/evidence` serves): [`EVIDENCE_FORMAT`], strictly increasing
/// indices, unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundled {}

impl EvidenceKind for Bundled {
    const FORMAT: &'static str = EVIDENCE_FORMAT;
    const ORDER: Order = Order::Increasing;
    const MAX_ENTRIES: Option<usize> = None;
}

/// Records with inclusion proofs against one checkpoint (JSON), of the
/// kind `K`: `zkaudit-evidence/v1` inside claim, election and funds bundles
/// ([`LogEvidence`]), `zkaudit-extract/v1` as a health extract.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
#[serde(deny_unknown_fields, bound = "")]
pub struct Evidence<K> {
    /// Always the kind's format tag ([`EvidenceKind::FORMAT`]):
    /// `zkaudit-evidence/v1` or `zkaudit-extract/v1`.
    pub format: String,
    /// The signed checkpoint (signed-note text) every proof is against.
    pub checkpoint: String,
    /// The records, in the kind's order ([`EvidenceKind::ORDER`]): strictly
    /// increasing indices in bundles, log order in health extracts.
    pub entries: Vec<LogEntry>,
    #[serde(skip)]
    kind: PhantomData<K>,
}

/// Records with inclusion proofs against one checkpoint, as bundles carry
/// them.
pub type LogEvidence = Evidence<Bundled>;

impl<K: EvidenceKind> Evidence<K> {
    /// Evidence of kind `K`: `entries` against the signed `checkpoint`
    /// (signed-note text).
    pub fn new(checkpoint: String, entries: Vec<LogEntry>) -> Self {
        Self {
            format: K::FORMAT.to_owned(),
            checkpoint,
            entries,
            kind: PhantomData,
        }
    }

    /// Checks the format tag and the number of entries, the checkpoint's
    /// signature under `log_vkey`, every record's encoding and signature,
    /// every inclusion proof against the checkpoint's root and, for kinds
    /// that promise it, that indices strictly increase.
    pub fn verify(&self, log_vkey: &str) -> Result<VerifiedEvidence> {
        expect_format(&self.format, K::FORMAT)?;
        if K::MAX_ENTRIES.is_some_and(|max| self.entries.len() > max) {
            return Err(malformed("entries", "too many".into()));
        }
        let checkpoint = open_checkpoint(self.checkpoint.as_bytes(), log_vkey)?;
        VerifiedEvidence::check(checkpoint, log_vkey, &self.entries, K::ORDER)
    }
}
