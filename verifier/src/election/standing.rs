//! What a verified election bundle says to a voter holding a receipt, and
//! to an auditor holding a mirror of the whole log.
//!
//! Both compare signed statements of the same log: the receipt's
//! checkpoint (or the mirror's) and the bundle's. A ballot that the log
//! acknowledged before the close but that the bundle's record lacks is an
//! omission, and the receipt (or the mirror) and the bundle are the signed
//! evidence of it; two different records at one index are a fork. With a
//! mirror, each ballot's root is also judged against every logging of the
//! registry's roots, not only those the bundle chose to include.

use std::collections::BTreeMap;

use zkaudit_ledger::election::{self, BALLOT, BallotStanding, ElectionBook, election_of};
use zkaudit_ledger::record::Record;

use super::ElectionReport;
use super::ballots::RootEvidence;
use crate::error::mismatch;
use crate::receipt::VerifiedReceipt;
use crate::{Result, VerifyError};

/// Where the ballot of a voter's receipt stands in a verified bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptStanding {
    /// The ballot is the voter's last: the tally counts it.
    Counts {
        /// Its log index.
        index: u64,
    },
    /// The voter voted again: a later ballot counts instead.
    Superseded {
        /// Its log index.
        index: u64,
        /// The index of the ballot that counts.
        by: u64,
    },
    /// The bundle holds the ballot, but the election's rules skip it where
    /// it was logged (a second ballot where re-voting is not allowed): no
    /// replayer counts it.
    Skipped {
        /// Its log index.
        index: u64,
    },
    /// The log acknowledged the ballot while the election was open, but the
    /// bundle's record of the election lacks it: the receipt and the bundle
    /// are signed evidence of the omission.
    Omitted {
        /// Its log index.
        index: u64,
    },
    /// The bundle proves another record at the receipt's index: the log
    /// has shown two histories (keep both files).
    Forked {
        /// The index.
        index: u64,
    },
    /// The ballot was logged after the close (not counted by anyone), or
    /// after the bundle's checkpoint (fetch a newer bundle).
    Outside {
        /// Its log index.
        index: u64,
    },
}

impl ReceiptStanding {
    /// Whether the standing is evidence against the log.
    pub fn is_evidence(&self) -> bool {
        matches!(self, Self::Omitted { .. } | Self::Forked { .. })
    }
}

/// What comparing a bundle with a mirror of the log established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogComparison {
    /// Entries below this index are in both and were compared.
    pub compared_below: u64,
    /// Ballots of the election the mirror holds below that index.
    pub ballots: usize,
    /// Loggings of the election's registry's roots the mirror holds below
    /// that index; every ballot's root was judged against the registry's
    /// window with all of them.
    pub root_loggings: usize,
}

impl ElectionReport {
    /// Where the ballot of `receipt` (verified against the same log) stands
    /// in this election's record.
    pub fn standing(&self, receipt: &VerifiedReceipt) -> Result<ReceiptStanding> {
        let record = &receipt.record;
        let index = receipt.index;
        if record.domain() != election::DOMAIN
            || record.kind() != BALLOT
            || election_of(record).as_deref() != Some(self.election.as_str())
        {
            return Err(mismatch(format!(
                "the receipt is for {}/{}, not a ballot of election {:?}",
                record.domain(),
                record.kind(),
                self.election
            )));
        }
        let id = record.id();
        if let Some(logged) = self.entry_ids.get(&index)
            && *logged != id
        {
            return Ok(ReceiptStanding::Forked { index });
        }
        Ok(match self.replayed.standing(index, &id) {
            BallotStanding::Counts => ReceiptStanding::Counts { index },
            BallotStanding::Superseded { by } => ReceiptStanding::Superseded { index, by },
            BallotStanding::NotInRecord if self.entry_ids.contains_key(&index) => {
                ReceiptStanding::Skipped { index }
            }
            BallotStanding::NotInRecord => {
                let opened = self.replayed.opened_at.unwrap_or(u64::MAX);
                let closed = self.replayed.closed_at.unwrap_or(self.checkpoint_size);
                if index > opened && index < closed.min(self.checkpoint_size) {
                    ReceiptStanding::Omitted { index }
                } else {
                    ReceiptStanding::Outside { index }
                }
            }
        })
    }

    /// Compares the bundle with `entries`, every entry of a mirror of the
    /// log from index 0, already checked against the mirror's signed
    /// checkpoint: on the indices both cover, every entry the bundle
    /// proves must be the mirror's, and every ballot of this election the
    /// mirror's replay holds must be in the bundle's, and every ballot's
    /// root must be in the registry's window judged with every logging of
    /// the registry's roots the mirror holds (the bundle may hold fewer).
    pub fn compare_with_log(&self, entries: &[(u64, Record)]) -> Result<LogComparison> {
        let below = self.checkpoint_size.min(entries.len() as u64);
        for (index, id) in self.entry_ids.range(..below) {
            let (at, record) = &entries[*index as usize];
            if at != index || record.id() != *id {
                return Err(mismatch(format!(
                    "FORK: the bundle and the mirror hold different records at index {index}"
                )));
            }
        }
        let mut book = ElectionBook::new(self.log_key);
        for (index, record) in &entries[..below as usize] {
            if record.domain() == election::DOMAIN
                && election_of(record).as_deref() == Some(self.election.as_str())
            {
                book.apply(*index, record);
            }
        }
        let mirrored: BTreeMap<u64, [u8; 32]> = book
            .get(&self.election)
            .map(|e| e.ballots.iter().map(|b| (b.index, b.record_id)).collect())
            .unwrap_or_default();
        for (index, id) in &mirrored {
            if self.replayed.standing(*index, id) == BallotStanding::NotInRecord {
                return Err(mismatch(format!(
                    "OMISSION: the log holds a ballot of election {:?} at index {index} (record {}) that the bundle leaves out",
                    self.election,
                    hex::encode(id)
                )));
            }
        }
        let bundle_ballots = self
            .replayed
            .ballots
            .iter()
            .filter(|b| b.index < below)
            .count();
        if bundle_ballots != mirrored.len() {
            return Err(mismatch(format!(
                "the bundle holds {bundle_ballots} ballots below index {below}, the mirror's replay {}",
                mirrored.len()
            )));
        }
        // Every ballot's root judged again, against every logging of the
        // registry's roots the mirror holds: a bundle that leaves some out
        // can only make the registry's window look wider than it was.
        let roots =
            RootEvidence::from_entries(&self.registry, &entries[..below as usize], &self.log_key);
        for cast in self.replayed.ballots.iter().filter(|b| b.index < below) {
            roots.check(&cast.ballot.root, cast.index).map_err(|err| {
                let reason = match err {
                    VerifyError::Mismatch(reason) => reason,
                    other => other.to_string(),
                };
                mismatch(format!(
                    "ROOT WINDOW: judged with all {} loggings of registry {:?}'s roots that the mirror holds, {reason}",
                    roots.loggings.len(),
                    self.registry.id
                ))
            })?;
        }
        Ok(LogComparison {
            compared_below: below,
            ballots: mirrored.len(),
            root_loggings: roots.loggings.len(),
        })
    }
}
