//! The iden3 binary formats of circom and snarkjs, so that tools nobody
//! here wrote can check zkaudit's circuits and keys, and zkaudit can use
//! keys from their ceremonies:
//!
//! - [`R1cs`]: a circuit shape's constraints as a `.r1cs` file;
//! - [`wtns`]: an assignment as a `.wtns` file (`snarkjs wtns check`);
//! - [`Zkey`]: a snarkjs Groth16 `.zkey` read into a proving key, and
//!   written back;
//! - [`Ptau`]: a powers-of-tau file prepared for phase 2.
//!
//! Written by hand: the Rust readers that exist (ark-circom, ark-zkey)
//! target older arkworks and bring a WebAssembly runtime; the formats are
//! small and specified by snarkjs' `binfileutils`, `r1csfile` and
//! `zkey_utils.js`.

mod binfile;
mod encoding;
mod error;
mod ptau;
mod r1cs;
pub mod wtns;
mod zkey;

pub(crate) use encoding::montgomery_r;
pub use error::FormatError;
pub use ptau::{PTAU_MAGIC, Ptau};
pub use r1cs::{R1CS_MAGIC, R1cs};
pub use zkey::{
    Coefficient, Contribution, ContributionKind, MAX_NAME_BYTES, MpcParams, ZKEY_MAGIC, Zkey,
    snarkjs_coefficients, truncate_name,
};
