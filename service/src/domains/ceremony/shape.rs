//! The circuit shapes that have Groth16 keys, named by their ids.

use zkaudit_circuits::ballot::BallotShape;
use zkaudit_circuits::ballot::constraints::BallotCircuit;
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
}
