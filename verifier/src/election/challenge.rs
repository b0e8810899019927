//! Cast-as-intended checks (Benaloh challenges): before casting, a voter
//! may ask their voting client to open the ballot it prepared. The client
//! reveals each option's choice and encryption randomness; any other
//! device recomputes the ciphertexts under the election key it obtained
//! independently and checks that they are exactly the prepared ballot's
//! (same fingerprint) and encrypt exactly those choices. A challenged
//! ballot is never cast (its randomness is public); the client encrypts
//! again with fresh randomness, and a client that cheats cannot know which
//! of its ballots will be challenged.

use serde::{Deserialize, Serialize};
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::MAX_POINTS;
use zkaudit_circuits::elgamal::{self, Ciphertext, decode_point, decode_scalar};
use zkaudit_ledger::election::{OpenedOption, SpoiledBallot};

use crate::Result;
use crate::error::{ensure, expect_format, malformed, malformed_as, mismatch};

/// Format tag of ballot challenges.
pub const CHALLENGE_FORMAT: &str = "zkaudit-ballot-challenge/v1";

/// An opened ballot (JSON), as the voting client writes it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BallotChallenge {
    /// Always [`CHALLENGE_FORMAT`].
    pub format: String,
    /// The election id.
    pub election: String,
    /// The election key the client encrypted under (hex point).
    pub election_key: String,
    /// Per option, in the election's order: 1 if marked, else 0.
    pub choices: Vec<u64>,
    /// Per option: the encryption randomness (hex scalar), revealed.
    pub randomness: Vec<String>,
    /// Per option: the ciphertext the client prepared (hex).
    pub ciphertexts: Vec<String>,
    /// The fingerprint the client showed before the challenge (hex).
    pub fingerprint: String,
}

/// What a verified challenge establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChallenge {
    /// The election.
    pub election: String,
    /// The choices the ballot encrypts, per option.
    pub choices: Vec<u64>,
    /// The prepared ballot's fingerprint.
    pub fingerprint: [u8; 32],
}

pub use zkaudit_ledger::election::ballot_fingerprint;

impl BallotChallenge {
    /// Opens `ciphertexts` (encrypted under `election_key` with
    /// `randomness`) as a challenge.
    pub fn new(
        election: &str,
        election_key: &Point,
        choices: &[u64],
        randomness: &[elgamal::Scalar],
        ciphertexts: &[Ciphertext],
    ) -> Self {
        Self {
            format: CHALLENGE_FORMAT.into(),
            election: election.into(),
            election_key: hex::encode(elgamal::encode_point(election_key)),
            choices: choices.to_vec(),
            randomness: randomness
                .iter()
                .map(|r| hex::encode(elgamal::encode_scalar(r)))
                .collect(),
            ciphertexts: ciphertexts
                .iter()
                .map(|c| hex::encode(c.to_bytes()))
                .collect(),
            fingerprint: hex::encode(ballot_fingerprint(election, ciphertexts)),
        }
    }

    /// Checks the opened ballot against `election_key`, the key the
    /// verifying device obtained on its own (from the election's logged
    /// record or the service): the client used that key, every value is at
    /// most 15 (0 or 1 but in a cumulative contest), each ciphertext is the encryption of its choice with its
    /// randomness, and the fingerprint is the ciphertexts'.
    ///
    /// # Errors
    ///
    /// [`VerifyError`](crate::VerifyError) naming the first failure.
    pub fn verify(&self, election_key: &Point) -> Result<VerifiedChallenge> {
        expect_format(&self.format, CHALLENGE_FORMAT)?;
        let key =
            decode_point(&hex::decode(&self.election_key).map_err(malformed_as("election key"))?)
                .map_err(malformed_as("election key"))?;
        ensure(key == *election_key, || {
            "the ballot was encrypted under another key than the election's".into()
        })?;
        ensure(!self.choices.is_empty(), || {
            "one choice, one randomness and one ciphertext per option".into()
        })?;
        // The same opening check the log makes of a published one.
        let opened = self.to_spoiled()?;
        opened
            .check_opening(&key)
            .map_err(|e| mismatch(e.to_string()))?;
        let fingerprint = opened.fingerprint();
        if hex::encode(fingerprint) != self.fingerprint {
            return Err(mismatch(
                "the fingerprint is not that of these ciphertexts: this is not the ballot the client showed",
            ));
        }
        Ok(VerifiedChallenge {
            election: self.election.clone(),
            choices: self.choices.clone(),
            fingerprint,
        })
    }

    /// The `ballot.spoiled` payload that publishes this opened ballot on the
    /// log (after [`verify`](Self::verify) has checked it here; the log
    /// checks the opening again against the election's key).
    ///
    /// # Errors
    ///
    /// [`VerifyError`](crate::VerifyError) if a field is malformed.
    pub fn to_spoiled(&self) -> Result<SpoiledBallot> {
        let n = self.choices.len();
        ensure(
            self.randomness.len() == n && self.ciphertexts.len() == n,
            || "one choice, one randomness and one ciphertext per option".into(),
        )?;
        let options = self
            .choices
            .iter()
            .zip(&self.randomness)
            .zip(&self.ciphertexts)
            .map(|((choice, r), c)| {
                Ok(OpenedOption {
                    choice: u8::try_from(*choice)
                        .ok()
                        .filter(|c| u64::from(*c) <= MAX_POINTS)
                        .ok_or_else(|| malformed("choice", format!("over {MAX_POINTS} points")))?,
                    randomness: decode_scalar(&hex::decode(r).map_err(malformed_as("randomness"))?)
                        .map_err(malformed_as("randomness"))?,
                    ciphertext: Ciphertext::from_bytes(
                        &hex::decode(c).map_err(malformed_as("ciphertext"))?,
                    )
                    .map_err(malformed_as("ciphertext"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SpoiledBallot {
            election: self.election.clone(),
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use zkaudit_circuits::elgamal::{public_key, random_scalar};

    fn opened() -> (BallotChallenge, Point) {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let key = public_key(&random_scalar(&mut rng));
        let choices = [0, 1, 0];
        let randomness: Vec<_> = choices.iter().map(|_| random_scalar(&mut rng)).collect();
        let ciphertexts: Vec<_> = choices
            .iter()
            .zip(&randomness)
            .map(|(c, r)| elgamal::encrypt(&key, *c, r))
            .collect();
        (
            BallotChallenge::new("budget-2027", &key, &choices, &randomness, &ciphertexts),
            key,
        )
    }

    #[test]
    fn an_honest_ballot_opens_and_a_lying_client_is_caught() {
        let (challenge, key) = opened();
        let verified = challenge.verify(&key).unwrap();
        assert_eq!(verified.choices, vec![0, 1, 0]);

        // The client claims the voter's choice but encrypted another.
        let mut lie = challenge.clone();
        lie.choices = vec![1, 0, 0];
        assert!(
            lie.verify(&key)
                .unwrap_err()
                .to_string()
                .contains("does not encrypt")
        );
        // Randomness that does not open the ciphertext.
        let mut lie = challenge.clone();
        lie.randomness.swap(0, 1);
        assert!(lie.verify(&key).is_err());
        // Encrypted under a key the election does not have.
        let (other, other_key) = {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
            let k = public_key(&random_scalar(&mut rng));
            let r = random_scalar(&mut rng);
            let c = elgamal::encrypt(&k, 1, &r);
            (BallotChallenge::new("budget-2027", &k, &[1], &[r], &[c]), k)
        };
        assert!(other.verify(&other_key).is_ok());
        assert!(
            other
                .verify(&key)
                .unwrap_err()
                .to_string()
                .contains("another key")
        );
        // A ballot other than the one shown (its fingerprint).
        let mut swapped = challenge.clone();
        swapped.fingerprint = "00".repeat(32);
        assert!(
            swapped
                .verify(&key)
                .unwrap_err()
                .to_string()
                .contains("fingerprint")
        );
        // Not a choice, missing entries, bad hex.
        let mut bad = challenge.clone();
        bad.choices[0] = 16;
        assert!(bad.verify(&key).is_err());
        let mut short = challenge.clone();
        short.randomness.pop();
        assert!(short.verify(&key).is_err());
        let mut garbled = challenge;
        garbled.ciphertexts[2] = "zz".into();
        assert!(
            garbled
                .verify(&key)
                .unwrap_err()
                .to_string()
                .contains("malformed")
        );
    }
}
