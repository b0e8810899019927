//! The ceremonies replayed from the log, and the rules a new record must
//! meet.

use std::collections::BTreeMap;

use ed25519_dalek::VerifyingKey;

use super::records::{CeremonyStart, Finalisation, Step};
use super::{CONTRIBUTE, CeremonyError, CeremonyResult, DOMAIN, FINALIZE, START};
use crate::record::{Author, Record};
use crate::replay::Book;

/// A logged step: a contribution, or the final beacon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedStep {
    /// The step.
    pub step: Step,
    /// Who signed it (the contributor, or the coordinator for the beacon).
    pub signer: VerifyingKey,
    /// Its log index.
    pub index: u64,
}

/// One ceremony, as the log has it so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ceremony {
    /// The opening record.
    pub start: CeremonyStart,
    /// The authority that opened it (and alone may finalise it).
    pub coordinator: VerifyingKey,
    /// Log index of the opening record.
    pub index: u64,
    /// The contributions, in order (the beacon is not among them).
    pub contributions: Vec<LoggedStep>,
    /// The beacon step and the final verifying key, once finalised.
    pub finalisation: Option<(Finalisation, u64)>,
}

impl Ceremony {
    /// SHA3-256 of the current key: the last step's, or the initial key's.
    pub fn head(&self) -> [u8; 32] {
        match (&self.finalisation, self.contributions.last()) {
            (Some((f, _)), _) => f.step.key,
            (None, Some(last)) => last.step.key,
            (None, None) => self.start.initial_key,
        }
    }

    /// The number the next step must carry.
    pub fn next_number(&self) -> u32 {
        self.contributions.len() as u32 + 1
    }

    /// Whether the beacon has closed it.
    pub fn is_final(&self) -> bool {
        self.finalisation.is_some()
    }
}

/// A ceremony record checked against the book, ready to apply.
#[derive(Clone, Debug)]
pub enum Checked {
    /// A new ceremony.
    Start(CeremonyStart),
    /// A contribution.
    Contribute(Step),
    /// The beacon and the final key.
    Finalize(Finalisation),
}

impl Checked {
    /// The step this record adds (none for a start).
    pub fn step(&self) -> Option<&Step> {
        match self {
            Self::Start(_) => None,
            Self::Contribute(step) => Some(step),
            Self::Finalize(f) => Some(&f.step),
        }
    }
}

/// Every ceremony, replayed from the ceremony records in log order.
#[derive(Clone, Debug, Default)]
pub struct CeremonyBook {
    ceremonies: BTreeMap<String, Ceremony>,
    applied_up_to: u64,
}

impl CeremonyBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Log index after the last record applied.
    pub fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    /// A ceremony by id.
    pub fn get(&self, id: &str) -> Option<&Ceremony> {
        self.ceremonies.get(id)
    }

    /// All ceremonies, by id.
    pub fn ceremonies(&self) -> impl Iterator<Item = &Ceremony> {
        self.ceremonies.values()
    }

    /// The ceremony for `shape` that is still open, if any.
    pub fn open_for_shape(&self, shape: &str) -> Option<&Ceremony> {
        self.ceremonies
            .values()
            .find(|c| c.start.shape == shape && !c.is_final())
    }

    /// Checks, without applying, that a ceremony record may be logged now:
    /// a start names a new ceremony for a shape no open ceremony holds; a
    /// step carries the next number, extends the current key, and is signed
    /// by an invited contributor (a contribution) or by the coordinator
    /// after at least one contribution (the beacon).
    pub fn check(&self, record: &Record) -> CeremonyResult<Checked> {
        if record.domain() != DOMAIN {
            return Err(CeremonyError::UnknownKind(record.qualified_kind()));
        }
        let Author::Ed25519(author) = record.author() else {
            return Err(CeremonyError::Unsigned);
        };
        match record.kind() {
            START => {
                let start = CeremonyStart::decode(record.payload())?;
                if self.ceremonies.contains_key(&start.id) {
                    return Err(CeremonyError::Exists(start.id));
                }
                if let Some(open) = self.open_for_shape(&start.shape) {
                    return Err(CeremonyError::ShapeBusy {
                        shape: start.shape,
                        open: open.start.id.clone(),
                    });
                }
                Ok(Checked::Start(start))
            }
            CONTRIBUTE => {
                let step = Step::decode(record.payload())?;
                let ceremony = self.next_step_of(&step)?;
                let invited = &ceremony.start.contributors;
                if !invited.is_empty() && invited.binary_search(author.as_bytes()).is_err() {
                    return Err(CeremonyError::NotInvited(step.ceremony));
                }
                Ok(Checked::Contribute(step))
            }
            FINALIZE => {
                let finalisation = Finalisation::decode(record.payload())?;
                let ceremony = self.next_step_of(&finalisation.step)?;
                if author != ceremony.coordinator {
                    return Err(CeremonyError::NotCoordinator(ceremony.start.id.clone()));
                }
                if ceremony.contributions.is_empty() {
                    return Err(CeremonyError::NoContribution(ceremony.start.id.clone()));
                }
                Ok(Checked::Finalize(finalisation))
            }
            _ => Err(CeremonyError::UnknownKind(record.qualified_kind())),
        }
    }

    /// The open ceremony `step` continues, if it is the next step on its
    /// current key.
    fn next_step_of(&self, step: &Step) -> CeremonyResult<&Ceremony> {
        let ceremony = self
            .ceremonies
            .get(&step.ceremony)
            .ok_or_else(|| CeremonyError::Unknown(step.ceremony.clone()))?;
        if ceremony.is_final() {
            return Err(CeremonyError::Finalised(step.ceremony.clone()));
        }
        if step.number != ceremony.next_number() {
            return Err(CeremonyError::WrongNumber {
                ceremony: step.ceremony.clone(),
                expected: ceremony.next_number(),
                got: step.number,
            });
        }
        if step.previous_key != ceremony.head() {
            return Err(CeremonyError::StaleKey(step.ceremony.clone()));
        }
        Ok(ceremony)
    }

    /// Applies the record logged at `index`; records invalid at their place
    /// in the log are skipped, identically by every replayer.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        let (Ok(checked), Author::Ed25519(signer)) = (self.check(record), record.author()) else {
            return;
        };
        match checked {
            Checked::Start(start) => {
                self.ceremonies.insert(
                    start.id.clone(),
                    Ceremony {
                        start,
                        coordinator: signer,
                        index,
                        contributions: Vec::new(),
                        finalisation: None,
                    },
                );
            }
            Checked::Contribute(step) => {
                if let Some(ceremony) = self.ceremonies.get_mut(&step.ceremony) {
                    ceremony.contributions.push(LoggedStep {
                        step,
                        signer,
                        index,
                    });
                }
            }
            Checked::Finalize(finalisation) => {
                if let Some(ceremony) = self.ceremonies.get_mut(&finalisation.step.ceremony) {
                    ceremony.finalisation = Some((finalisation, index));
                }
            }
        }
    }
}

impl Book for CeremonyBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        CeremonyBook::apply(self, index, record);
    }
}
