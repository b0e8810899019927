//! The iden3 binary formats of circom and snarkjs, so that tools nobody
//! here wrote can check zkaudit's circuits and keys, and zkaudit can use
//! keys from their ceremonies:
//!
//! - [`R1cs`]: a circuit shape's constraints as a `.r1cs` file;
//! - [`wtns`]: an assignment as a `.wtns` file (`snarkjs wtns check`);
//! - [`Zkey`]: a snarkjs Groth16 `.zkey` read into a proving key, and
//!   written back;
//! - [`Ptau`]: a powers-of-tau file prepared for phase 2, read lazily;
//! - [`PowersOfTau`]: a whole powers-of-tau file, read and written, for
//!   phase-1 contributions.
//!
//! Written by hand: the Rust readers that exist (ark-circom, ark-zkey)
//! target older arkworks and bring a WebAssembly runtime; the formats are
//! small and specified by snarkjs' `binfileutils`, `r1csfile` and
//! `zkey_utils.js`.

mod binfile;
mod encoding;
mod error;
mod params;
mod powers_of_tau;
mod ptau;
mod r1cs;
pub mod wtns;
mod zkey;

pub(crate) use encoding::montgomery_r;
pub use error::FormatError;
pub use params::{ContributionKind, MAX_NAME_BYTES, truncate_name};
pub use powers_of_tau::{
    KeyPart, LagrangeSections, MAX_IN_MEMORY_POWER, PARTIAL_HASH_BYTES, Phase1Contribution,
    PowersOfTau, PtauKey, level_points,
};
pub use ptau::{PTAU_MAGIC, Ptau};
pub use r1cs::{R1CS_MAGIC, R1cs};
pub use zkey::{Coefficient, Contribution, MpcParams, ZKEY_MAGIC, Zkey, snarkjs_coefficients};
