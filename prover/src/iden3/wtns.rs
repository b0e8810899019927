//! A circuit's full assignment as an iden3 `.wtns` file (version 2), wire
//! order as in [`R1cs`](super::R1cs), so that `snarkjs wtns check` can check
//! it against the exported `.r1cs`.

use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};

use super::binfile::BinFileWriter;
use super::encoding::{write_field_header, write_fr};
use crate::{Fr, Result};

/// The magic of `.wtns` files.
pub const WTNS_MAGIC: &[u8; 4] = b"wtns";

/// The values of every wire of `circuit` (one, public inputs, witness),
/// synthesized as the prover does. The values include the witness: they
/// are the holder's secret and must not leave the holder's machine.
pub fn full_assignment<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Vec<Fr>> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    cs.finalize();
    let mut values = cs.instance_assignment()?;
    values.extend(cs.witness_assignment()?);
    Ok(values)
}

/// The `.wtns` file of `values`: header (section 1: field and count) and
/// the values (section 2).
pub fn to_bytes(values: &[Fr]) -> Vec<u8> {
    let mut header = Vec::new();
    write_field_header::<Fr>(&mut header);
    header.extend_from_slice(&(values.len() as u32).to_le_bytes());
    let mut body = Vec::with_capacity(values.len() * 32);
    for value in values {
        write_fr(&mut body, value);
    }
    let mut file = BinFileWriter::new(WTNS_MAGIC, 2, 2);
    file.section(1, &header);
    file.section(2, &body);
    file.finish()
}
