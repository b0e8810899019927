//! A circuit's constraint system as an iden3 `.r1cs` file (version 1), in
//! circom's wire order: wire 0 is the constant one, then the public inputs,
//! then the witness — which is arkworks' variable order (instance, then
//! witness) unchanged, so wire `i` is column `i` of the matrices.

use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL,
    SynthesisMode,
};

use super::binfile::BinFileWriter;
use super::encoding::{write_field_header, write_fr};
use crate::{Fr, ProverError, Result};

/// The magic of `.r1cs` files.
pub const R1CS_MAGIC: &[u8; 4] = b"r1cs";

/// A circuit shape's R1CS matrices, synthesized exactly as the Groth16 setup
/// and prover synthesize them (constraints optimized, linear combinations
/// inlined), so that the file describes the keys' circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct R1cs {
    /// Public inputs (wires `1..=num_public`), not counting the constant one.
    pub num_public: usize,
    /// Witness wires, after the public inputs.
    pub num_witness: usize,
    /// The A, B and C matrices: per constraint, `(coefficient, wire)` terms.
    pub matrices: [Matrix<Fr>; 3],
}

impl R1cs {
    /// Synthesizes `blank` (a circuit without assignment) in setup mode.
    ///
    /// # Errors
    ///
    /// [`ProverError::Synthesis`] if the circuit fails to synthesize, and
    /// [`FormatError::Unsupported`](super::FormatError::Unsupported) for a
    /// circuit with constraints other than rank-1 ones.
    pub fn of_circuit<C: ConstraintSynthesizer<Fr>>(blank: C) -> Result<Self> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        blank.generate_constraints(cs.clone())?;
        cs.finalize();
        let mut by_predicate = cs.to_matrices()?;
        let matrices = by_predicate
            .remove(R1CS_PREDICATE_LABEL)
            .filter(|_| by_predicate.is_empty())
            .ok_or(super::FormatError::Unsupported(
                "circuits with non-R1CS predicates have no .r1cs form",
            ))?;
        let [a, b, c]: [Matrix<Fr>; 3] = matrices
            .try_into()
            .map_err(|_| super::FormatError::Unsupported("an R1CS predicate without 3 matrices"))?;
        Ok(Self {
            num_public: cs.num_instance_variables() - 1,
            num_witness: cs.num_witness_variables(),
            matrices: [a, b, c],
        })
    }

    /// All wires: the one, the public inputs and the witness.
    pub fn num_wires(&self) -> usize {
        1 + self.num_public + self.num_witness
    }

    /// The number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.matrices[0].len()
    }

    /// The Groth16 evaluation domain: the least power of two holding the
    /// constraints and one row per public input and the one (snarkjs'
    /// `domainSize`, arkworks' `D::new(constraints + instance)`).
    pub fn domain_size(&self) -> usize {
        (self.num_constraints() + self.num_public + 1).next_power_of_two()
    }

    /// The `.r1cs` file: header (section 1), constraints (section 2) and
    /// the identity wire-to-label map (section 3). Every public wire counts
    /// as a public input (`nPubOut = 0`); which witness wires were private
    /// inputs is not recorded (`nPrvIn = 0`), as snarkjs does not need it.
    pub fn to_bytes(&self) -> std::result::Result<Vec<u8>, ProverError> {
        let too_large = |what| super::FormatError::TooLarge {
            what,
            found: self.num_wires() as u64,
            limit: u32::MAX as u64,
        };
        let wires = u32::try_from(self.num_wires()).map_err(|_| too_large("wires"))?;
        let constraints =
            u32::try_from(self.num_constraints()).map_err(|_| too_large("constraints"))?;

        let mut header = Vec::new();
        write_field_header::<Fr>(&mut header);
        header.extend_from_slice(&wires.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes()); // nPubOut
        header.extend_from_slice(&(self.num_public as u32).to_le_bytes()); // nPubIn
        header.extend_from_slice(&0u32.to_le_bytes()); // nPrvIn
        header.extend_from_slice(&u64::from(wires).to_le_bytes()); // nLabels
        header.extend_from_slice(&constraints.to_le_bytes());

        let mut body = Vec::new();
        for row in 0..self.num_constraints() {
            for matrix in &self.matrices {
                let terms = &matrix[row];
                body.extend_from_slice(&(terms.len() as u32).to_le_bytes());
                for (coefficient, wire) in terms {
                    body.extend_from_slice(&(*wire as u32).to_le_bytes());
                    write_fr(&mut body, coefficient);
                }
            }
        }

        let labels: Vec<u8> = (0..u64::from(wires)).flat_map(u64::to_le_bytes).collect();

        let mut file = BinFileWriter::new(R1CS_MAGIC, 1, 3);
        file.section(1, &header);
        file.section(2, &body);
        file.section(3, &labels);
        Ok(file.finish())
    }
}
