//! The credential registries together with the domain that issues
//! credentials into them from its own records: land titles.
//!
//! A land title is a credential in a title registry: registering a parcel
//! issues the owner's leaf, and a transfer revokes the seller's leaf and
//! issues the buyer's, in the same log entry as the title event. Identity
//! (the base domain) knows nothing of land, and land's [`TitleBook`] only
//! states the change; [`Registries`] replays both domains' records in log
//! order and applies a land record to the title and to the registry
//! together, or — if either refuses it — to neither.

use ed25519_dalek::VerifyingKey;

use crate::identity::{self, CredentialChange, IdentityError, IdentityResult, RegistryBook};
use crate::land::{self, TitleBook};
use crate::record::{Author, Record};
use crate::replay::Book;

/// The identity registries and the land titles, replayed together from
/// every identity and land record in log order.
#[derive(Clone, Debug)]
pub struct Registries {
    identity: RegistryBook,
    titles: TitleBook,
    applied_up_to: u64,
}

impl Registries {
    /// An empty book for the log whose record key is `log_key` (see
    /// [`RegistryBook::new`]).
    pub fn new(log_key: VerifyingKey) -> Self {
        Self {
            identity: RegistryBook::new(log_key),
            titles: TitleBook::new(),
            applied_up_to: 0,
        }
    }

    /// Log index after the last record applied.
    pub fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    /// The identity registries, scopes and circuit keys (title credentials
    /// included).
    pub fn identity(&self) -> &RegistryBook {
        &self.identity
    }

    /// The land titles.
    pub fn titles(&self) -> &TitleBook {
        &self.titles
    }

    /// Checks that the title-credential change a land record makes is valid
    /// against the registries: the record's author issues the registry, the
    /// schema fits, and a revoked leaf is the seller's live credential.
    pub fn check_title_change(
        &self,
        record: &Record,
        change: &CredentialChange,
    ) -> IdentityResult<()> {
        let Author::Ed25519(author) = record.author() else {
            return Err(IdentityError::InvalidSpec("land records are signed".into()));
        };
        self.identity.check_credential_change(&author, change)
    }

    /// Applies the logged identity or land record at `index`. Records must
    /// be applied in log order; changes that were invalid when logged are
    /// skipped, identically by every replayer.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        match record.domain() {
            land::DOMAIN => self.apply_land(index, record),
            identity::DOMAIN => self.identity.apply(index, record),
            _ => {}
        }
    }

    /// A land record changes its title and the title registry together:
    /// both apply, or (invalid when logged) neither does.
    fn apply_land(&mut self, index: u64, record: &Record) {
        if let Ok(checked) = self.titles.check(record)
            && let Some(change) = self.titles.credential_change(&checked)
        {
            let Author::Ed25519(author) = record.author() else {
                return;
            };
            if self
                .identity
                .apply_credential_change(index, &author, &change)
                .is_err()
            {
                return;
            }
        }
        self.titles.apply(index, record);
    }
}

impl Book for Registries {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        Registries::apply(self, index, record);
    }
}
