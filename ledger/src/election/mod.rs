//! The election domain: key ceremony, encrypted ballots and the tally.
//!
//! An election moves through phases, each change a logged record:
//!
//! ```text
//! election.create (commission)      → setup
//! election.phase  key-ceremony      → trustees deal (trustee.deal) and
//!                                     complain (trustee.complaint)
//! election.phase  open              → the log writes election.key (the
//!                                     joint key of the qualified dealers);
//!                                     voters cast ballots (proof-authorised);
//!                                     where the election allows re-voting,
//!                                     a voter's last ballot counts; a voter
//!                                     may publish a challenged ballot,
//!                                     opened (ballot.spoiled)
//! election.phase  closed            → the log writes election.seal (count
//!                                     and Merkle root of every cast ballot);
//!                                     trustees publish partial decryptions
//!                                     of the homomorphic sums (trustee.decrypt)
//! election.tally  (the log)         → tallied, once k valid partials are in
//! ```
//!
//! [`ElectionBook`] replays these records in log order and is the one
//! place the rules live: the service checks a new record against it before
//! logging, and the offline verifier replays a bundle through it. A record
//! that was valid when admitted but is not in log order (a ballot sequenced
//! after the close, a second dealing) is skipped by every replayer alike.
//!
//! Ballot proofs are not checked here (the ledger does no pairing work):
//! the service verifies each before logging, and the offline verifier
//! verifies them all in batches.
//!
//! The folder holds the election spec and its codec (`spec`, its contests
//! in `contests`), the other election payloads and their codecs
//! (`records`), the
//! ballot and the statement its proof is checked against (`ballot`), the
//! error (`error`) and the replayed elections (`book`).

mod ballot;
mod book;
mod contests;
mod error;
mod records;
mod spec;
mod spoiled;

pub use ballot::{Ballot, ballot_message, ballot_statement};
pub use book::{BallotStanding, CastBallot, Election, ElectionBook, all_partials};
pub use contests::{BallotStatement, Contest};
pub use error::{ElectionError, ElectionResult};
pub use records::{
    ComplaintRecord, DealRecord, DecryptRecord, ElectionKey, Phase, PhaseChange, SealRecord,
    TallyRecord, ballot_leaf, election_of,
};
pub use spec::{ElectionSpec, TrusteeSpec};
pub use spoiled::{OpenedOption, SpoiledBallot, ballot_fingerprint};

/// The domain name.
pub const DOMAIN: &str = "election";
/// Kind: the commission creates an election.
pub const CREATE: &str = "election.create";
/// Kind: the commission moves an election to its next phase.
pub const PHASE: &str = "election.phase";
/// Kind: a trustee's dealing in the key ceremony.
pub const DEAL: &str = "trustee.deal";
/// Kind: a trustee's complaint about a share dealt to it.
pub const COMPLAINT: &str = "trustee.complaint";
/// Kind: the log records the joint election key when the election opens.
pub const KEY: &str = "election.key";
/// Kind: a voter's encrypted ballot (authorised by its proof).
pub const BALLOT: &str = "ballot";
/// Kind: a challenged ballot a voter published, opened (never counted).
pub const SPOILED: &str = "ballot.spoiled";
/// Kind: the log seals the cast ballots when the election closes.
pub const SEAL: &str = "election.seal";
/// Kind: a trustee's partial decryption of the sums.
pub const DECRYPT: &str = "trustee.decrypt";
/// Kind: the log records the tally.
pub const TALLY: &str = "election.tally";

/// Longest title, option label or trustee name, in bytes.
const MAX_TEXT: usize = 256;
/// Most trustees an election names.
const MAX_TRUSTEES: usize = 32;
/// Longest ballot proof, in bytes.
const MAX_PROOF: usize = 256;
