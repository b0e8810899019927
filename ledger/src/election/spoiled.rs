//! `ballot.spoiled`: a ballot a voter challenged (Benaloh) and chose to
//! publish, opened — each option's choice and encryption randomness beside
//! its ciphertext — so that observers can audit voting clients in bulk, as
//! ElectionGuard publishes its spoiled ballots. It is never counted, and
//! its ciphertexts can never be cast: its fingerprint is taken.

use sha3::{Digest, Sha3_256};
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::MAX_POINTS;
use zkaudit_circuits::ballot::contests::MAX_BALLOT_OPTIONS;
use zkaudit_circuits::elgamal::{
    self, CIPHERTEXT_BYTES, Ciphertext, SCALAR_BYTES, Scalar, decode_scalar, encode_scalar,
};

use super::error::point_error;
use super::{ElectionError, ElectionResult};
use crate::codec::{MAX_ID, Reader, Writer};

/// The fingerprint of a ballot's ciphertexts: SHA3-256 of a domain tag, the
/// election id and the ciphertexts. A voting client shows it before the
/// voter chooses to cast or challenge; the store keeps one ballot, cast or
/// spoiled, per fingerprint.
pub fn ballot_fingerprint(election: &str, ciphertexts: &[Ciphertext]) -> [u8; 32] {
    let mut hasher = Sha3_256::new();
    hasher.update(b"zkaudit/v1/ballot-fingerprint\0");
    hasher.update(election.as_bytes());
    hasher.update([0]);
    for ciphertext in ciphertexts {
        hasher.update(ciphertext.to_bytes());
    }
    hasher.finalize().into()
}

/// One option of a spoiled ballot, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedOption {
    /// The value it encrypts: 0 or 1, or the points of a cumulative
    /// contest (at most 15).
    pub choice: u8,
    /// The encryption randomness, revealed.
    pub randomness: Scalar,
    /// The ciphertext.
    pub ciphertext: Ciphertext,
}

/// `ballot.spoiled`: a challenged ballot, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpoiledBallot {
    /// The election.
    pub election: String,
    /// One opened option per election option, in order.
    pub options: Vec<OpenedOption>,
}

impl SpoiledBallot {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election).u8(self.options.len() as u8);
        for o in &self.options {
            w.u8(o.choice)
                .fixed(&encode_scalar(&o.randomness))
                .fixed(&o.ciphertext.to_bytes());
        }
        w.finish()
    }

    /// Strict decoding: canonical scalars, points on the curve and in the
    /// subgroup, values at most 15.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let n = r.u8("option count")? as usize;
        if !(1..=MAX_BALLOT_OPTIONS).contains(&n) {
            return Err(ElectionError::Ballot(format!(
                "a spoiled ballot opens 1 to {MAX_BALLOT_OPTIONS} options"
            )));
        }
        let options = (0..n)
            .map(|i| {
                let choice = r.u8("choice")?;
                if u64::from(choice) > MAX_POINTS {
                    return Err(ElectionError::Ballot(format!(
                        "option {i}'s value is over {MAX_POINTS}, more than any ballot may give"
                    )));
                }
                let randomness = decode_scalar(r.fixed("randomness", SCALAR_BYTES)?)
                    .map_err(point_error("randomness"))?;
                let ciphertext = Ciphertext::from_bytes(r.fixed("ciphertext", CIPHERTEXT_BYTES)?)
                    .map_err(point_error("ciphertext"))?;
                Ok(OpenedOption {
                    choice,
                    randomness,
                    ciphertext,
                })
            })
            .collect::<ElectionResult<Vec<_>>>()?;
        r.finish()?;
        Ok(Self { election, options })
    }

    /// The ciphertexts, in option order.
    pub fn ciphertexts(&self) -> Vec<Ciphertext> {
        self.options.iter().map(|o| o.ciphertext).collect()
    }

    /// The fingerprint of its ciphertexts.
    pub fn fingerprint(&self) -> [u8; 32] {
        ballot_fingerprint(&self.election, &self.ciphertexts())
    }

    /// Checks the opening: every ciphertext is the encryption of its choice
    /// with its randomness under `election_key`.
    pub fn check_opening(&self, election_key: &Point) -> ElectionResult<()> {
        for (i, o) in self.options.iter().enumerate() {
            if elgamal::encrypt(election_key, o.choice.into(), &o.randomness) != o.ciphertext {
                return Err(ElectionError::Ballot(format!(
                    "option {i}'s ciphertext does not encrypt the revealed choice under the election key"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;
    use zkaudit_circuits::elgamal::{public_key, random_scalar};

    use super::*;

    #[test]
    fn an_opening_round_trips_and_a_false_one_is_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let key = public_key(&random_scalar(&mut rng));
        let options: Vec<OpenedOption> = [0u8, 1, 0]
            .iter()
            .map(|&choice| {
                let randomness = random_scalar(&mut rng);
                OpenedOption {
                    choice,
                    randomness,
                    ciphertext: elgamal::encrypt(&key, choice.into(), &randomness),
                }
            })
            .collect();
        let spoiled = SpoiledBallot {
            election: "e".into(),
            options,
        };
        assert_eq!(
            SpoiledBallot::decode(&spoiled.encode()),
            Ok(spoiled.clone())
        );
        assert!(spoiled.check_opening(&key).is_ok());

        let mut lie = spoiled.clone();
        lie.options[0].choice = 1;
        assert!(lie.check_opening(&key).is_err());
        let other_key = public_key(&random_scalar(&mut rng));
        assert!(spoiled.check_opening(&other_key).is_err());
        // The first value (after the id's length and byte, and the count)
        // is over what any ballot may give; 15 decodes (and then fails the
        // opening, which encrypts 0).
        let mut bad = spoiled.encode();
        bad[4] = 16;
        assert!(SpoiledBallot::decode(&bad).is_err());
        bad[4] = 15;
        let decoded = SpoiledBallot::decode(&bad).unwrap();
        assert!(decoded.check_opening(&key).is_err());
    }
}
