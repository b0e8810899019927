//! The circuit shapes that have Groth16 keys, named by their ids.

use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::constraints::BallotCircuit;
use zkaudit_circuits::ballot::{BallotShape, key_tag};
use zkaudit_circuits::eligibility::EligibilityShape;
use zkaudit_circuits::eligibility::constraints::EligibilityCircuit;
use zkaudit_prover::iden3::R1cs;
use zkaudit_prover::{KeyCache, KeyManifest, Keys, ProverError};

/// A validated shape of either Groth16 statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// An eligibility claim.
    Eligibility(EligibilityShape),
    /// An encrypted ballot with its voter's eligibility.
    Ballot(BallotShape),
}

impl Shape {
    /// The shape an id names (`eligibility-d20-a3`, `ballot-d20-a3-o4`,
    /// `ballot-d20-a3-c4-c8`), `None` for anything else.
    pub fn from_id(id: &str) -> Option<Self> {
        fn number(part: &str, prefix: char) -> Option<usize> {
            let digits = part.strip_prefix(prefix)?;
            let canonical = !digits.is_empty() && (digits == "0" || !digits.starts_with('0'));
            canonical.then(|| digits.parse().ok()).flatten()
        }
        let parts: Vec<&str> = id.split('-').collect();
        let shape = match parts.as_slice() {
            ["eligibility", d, a] => {
                Self::Eligibility(EligibilityShape::new(number(d, 'd')?, number(a, 'a')?).ok()?)
            }
            ["ballot", d, a, o] if o.starts_with('o') => Self::Ballot(
                BallotShape::new(number(d, 'd')?, number(a, 'a')?, number(o, 'o')?).ok()?,
            ),
            ["ballot", d, a, contests @ ..] => {
                let sizes: Vec<usize> = contests
                    .iter()
                    .map(|c| number(c, 'c'))
                    .collect::<Option<_>>()?;
                Self::Ballot(
                    BallotShape::with_contests(number(d, 'd')?, number(a, 'a')?, &sizes).ok()?,
                )
            }
            _ => return None,
        };
        (shape.id() == id).then_some(shape)
    }

    /// [`Shape::from_id`], and also a v3 ballot shape
    /// (`ballot-d20-a3-c4-c8-k<tag>`): its id carries only the
    /// [tag](key_tag) of the election key the circuit is made for, so the
    /// key is looked up among `election_keys` (the logged joint keys). A key
    /// that hashes to the tag is the one the id names, whoever supplied it.
    /// `None` if no key has the tag, or the rest of the id names no v2
    /// shape.
    pub fn from_id_with_keys<'a>(
        id: &str,
        election_keys: impl IntoIterator<Item = &'a Point>,
    ) -> Option<Self> {
        if let Some(shape) = Self::from_id(id) {
            return Some(shape);
        }
        let (base, tag) = id.rsplit_once("-k")?;
        let Some(Self::Ballot(base)) = Self::from_id(base) else {
            return None;
        };
        let key = election_keys.into_iter().find(|key| key_tag(key) == tag)?;
        let shape = Self::Ballot(base.for_election_key(*key).ok()?);
        (shape.id() == id).then_some(shape)
    }

    /// The shape id that names its keys, e.g. `eligibility-d20-a3`.
    pub fn id(&self) -> String {
        match self {
            Self::Eligibility(shape) => shape.id(),
            Self::Ballot(shape) => shape.id(),
        }
    }

    /// The constraint system, as the Groth16 setup and prover see it.
    pub fn r1cs(&self) -> Result<R1cs, ProverError> {
        match *self {
            Self::Eligibility(shape) => R1cs::of_circuit(EligibilityCircuit::blank(shape)),
            Self::Ballot(shape) => R1cs::of_circuit(BallotCircuit::blank(shape)),
        }
    }

    /// Imports a snarkjs `.zkey` for this shape into `cache`.
    pub fn import_zkey(
        &self,
        cache: &KeyCache,
        zkey: &[u8],
    ) -> Result<(Keys, KeyManifest), ProverError> {
        let id = self.id();
        match *self {
            Self::Eligibility(shape) => {
                cache.import_zkey(&id, EligibilityCircuit::blank(shape), zkey)
            }
            Self::Ballot(shape) => cache.import_zkey(&id, BallotCircuit::blank(shape), zkey),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_exactly_one_shape() {
        for id in [
            "eligibility-d20-a3",
            "ballot-d20-a3-o4",
            "ballot-d20-a3-c4-c8",
            "ballot-d4-a1-c1",
            "eligibility-d4-a1",
        ] {
            assert_eq!(Shape::from_id(id).map(|s| s.id()).as_deref(), Some(id));
        }
        for id in [
            "eligibility-d020-a3",
            "eligibility-d4-a0",
            "eligibility-d20",
            "ballot-d20-a3",
            "ballot-d20-a3-o0",
            "ballot-d20-a3-c",
            "ballot-d20-a3-c4.",
            "ballot-d20-a3-c4-c08",
            "ballot-d20-a3-c9",
            "ballot-d20-a3-c8-c8-c1",
            "ballot-d20-a3-c1-c1-c1-c1-c1",
            "ballot-d20-a3-c4+8",
            "ballot-d20-a3-c4.8",
            "ballot-d20-a3-o4-c2",
            "ballot-d20-a3-c2-o4",
            "eligibility-d99-a3",
            "land-d20-a3",
            "eligibility-d20-a3-",
            "eligibility-d+20-a3",
        ] {
            assert_eq!(Shape::from_id(id), None, "{id}");
        }
    }

    #[test]
    fn a_keyed_ballot_id_is_resolved_by_the_key_with_its_tag() {
        use zkaudit_circuits::elgamal::{public_key, random_scalar};
        let mut rng = rand::thread_rng();
        let [ours, other] = [(); 2].map(|_| public_key(&random_scalar(&mut rng)));
        let base = BallotShape::with_contests(4, 2, &[2, 3]).unwrap();
        let keyed = base.for_election_key(ours).unwrap();
        let id = keyed.id();
        assert_eq!(Shape::from_id(&id), None, "the id alone names no circuit");
        assert_eq!(
            Shape::from_id_with_keys(&id, [&other, &ours]),
            Some(Shape::Ballot(keyed))
        );
        assert_eq!(Shape::from_id_with_keys(&id, [&other]), None);
        assert_eq!(Shape::from_id_with_keys(&id, []), None);
        // Ids without a key resolve as before, whatever the keys.
        assert_eq!(
            Shape::from_id_with_keys("ballot-d4-a2-c2-c3", [&ours]),
            Some(Shape::Ballot(base))
        );
        let tag = key_tag(&ours);
        for id in [
            format!("ballot-d4-a2-o2-k{tag}"),
            format!("eligibility-d4-a2-k{tag}"),
            format!("ballot-d4-a2-c2-c3-k{}", tag.to_uppercase()),
            format!("ballot-d4-a2-c2-c3-k{tag}0"),
            format!("ballot-d4-a2-c2-c3-k{}", &tag[1..]),
            format!("ballot-d4-a2-c2-c3-k-k{tag}"),
            format!("ballot-d4-a2-c02-c3-k{tag}"),
        ] {
            assert_eq!(Shape::from_id_with_keys(&id, [&ours]), None, "{id}");
        }
    }
}
