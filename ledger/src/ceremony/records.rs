//! The ceremony payloads and their canonical codecs.

use super::{
    BEACON_ITERATIONS_EXP, CeremonyError, CeremonyResult, MAX_BEACON, MAX_CONTRIBUTORS, MAX_NAME,
};
use crate::codec::{MAX_ID, Reader, Writer, is_valid_id};
use crate::signature::parse_verifying_key;

/// Longest phase-1 file name.
const MAX_PHASE1_NAME: usize = 128;

/// Phase-1 file names: 1 to 128 bytes of `[A-Za-z0-9._-]`, not starting
/// with a dot (they name a file in the service's phase-1 directory).
pub fn is_valid_phase1_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PHASE1_NAME
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn read_id(r: &mut Reader<'_>, what: &'static str) -> CeremonyResult<String> {
    let id = r.str(what, MAX_ID)?.to_owned();
    if !is_valid_id(&id) {
        return Err(CeremonyError::Invalid(format!("{what}: 1-64 of [a-z0-9-]")));
    }
    Ok(id)
}

fn read_name(r: &mut Reader<'_>) -> CeremonyResult<String> {
    let name = r.str("name", MAX_NAME)?.to_owned();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(CeremonyError::Invalid(
            "name: 1-64 bytes without control characters".into(),
        ));
    }
    Ok(name)
}

/// The phase-1 (powers of tau) file a ceremony starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase1 {
    /// Its file name, e.g. `powersOfTau28_hez_final_15.ptau`.
    pub name: String,
    /// BLAKE2b-512 of the whole file (`b2sum`), as the Perpetual Powers of
    /// Tau and snarkjs publish it.
    pub blake2b: [u8; 64],
}

/// `start`: an authority opens a ceremony for one circuit shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyStart {
    /// The ceremony id, e.g. `ballot-2027`.
    pub id: String,
    /// The circuit shape whose keys it makes, e.g. `ballot-d20-a3-o4`.
    pub shape: String,
    /// The phase-1 file.
    pub phase1: Phase1,
    /// SHA3-256 of the initial `.zkey` (`snarkjs groth16 setup` of the
    /// shape's `.r1cs` over the phase-1 file); anyone can recompute it.
    pub initial_key: [u8; 32],
    /// Ed25519 keys allowed to contribute; empty: anyone may.
    pub contributors: Vec<[u8; 32]>,
}

impl CeremonyStart {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.id)
            .str(&self.shape)
            .str(&self.phase1.name)
            .fixed(&self.phase1.blake2b)
            .fixed(&self.initial_key)
            .u16(self.contributors.len() as u16);
        for key in &self.contributors {
            w.fixed(key);
        }
        w.finish()
    }

    /// Strict decoding and validation.
    pub fn decode(bytes: &[u8]) -> CeremonyResult<Self> {
        let mut r = Reader::new(bytes);
        let id = read_id(&mut r, "ceremony id")?;
        let shape = read_id(&mut r, "shape")?;
        let name = r.str("phase-1 name", MAX_PHASE1_NAME)?.to_owned();
        if !is_valid_phase1_name(&name) {
            return Err(CeremonyError::Invalid(
                "phase-1 name: 1-128 of [A-Za-z0-9._-], not starting with a dot".into(),
            ));
        }
        let phase1 = Phase1 {
            name,
            blake2b: r.array("phase-1 hash")?,
        };
        let initial_key = r.array("initial key digest")?;
        let n = usize::from(r.u16("contributor count")?);
        if n > MAX_CONTRIBUTORS {
            return Err(CeremonyError::Invalid(format!(
                "at most {MAX_CONTRIBUTORS} contributors"
            )));
        }
        let contributors: Vec<[u8; 32]> = (0..n)
            .map(|_| r.array("contributor key"))
            .collect::<Result<_, _>>()?;
        r.finish()?;
        for key in &contributors {
            parse_verifying_key(key)
                .map_err(|e| CeremonyError::Invalid(format!("contributor key: {e}")))?;
        }
        if contributors.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CeremonyError::Invalid(
                "contributor keys must be sorted and distinct".into(),
            ));
        }
        Ok(Self {
            id,
            shape,
            phase1,
            initial_key,
            contributors,
        })
    }
}

/// One step of a ceremony: the key it extends and the key it makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The ceremony.
    pub ceremony: String,
    /// The step's number: 1 for the first contribution.
    pub number: u32,
    /// The name recorded in the key's contribution (snarkjs' `-n`).
    pub name: String,
    /// SHA3-256 of the key this step extends.
    pub previous_key: [u8; 32],
    /// SHA3-256 of the key it makes.
    pub key: [u8; 32],
    /// The contribution hash (BLAKE2b-512) snarkjs prints and lists.
    pub contribution_hash: [u8; 64],
}

impl Step {
    fn write(&self, w: &mut Writer) {
        w.str(&self.ceremony)
            .u32(self.number)
            .str(&self.name)
            .fixed(&self.previous_key)
            .fixed(&self.key)
            .fixed(&self.contribution_hash);
    }

    fn read(r: &mut Reader<'_>) -> CeremonyResult<Self> {
        let step = Self {
            ceremony: read_id(r, "ceremony id")?,
            number: r.u32("step number")?,
            name: read_name(r)?,
            previous_key: r.array("previous key digest")?,
            key: r.array("key digest")?,
            contribution_hash: r.array("contribution hash")?,
        };
        if step.number == 0 {
            return Err(CeremonyError::Invalid("steps are numbered from 1".into()));
        }
        Ok(step)
    }

    /// `contribute`: canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.finish()
    }

    /// `contribute`: strict decoding.
    pub fn decode(bytes: &[u8]) -> CeremonyResult<Self> {
        let mut r = Reader::new(bytes);
        let step = Self::read(&mut r)?;
        r.finish()?;
        Ok(step)
    }
}

/// `finalize`: the last step, a public random beacon, and the verifying
/// key that becomes the shape's circuit key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finalisation {
    /// The beacon step.
    pub step: Step,
    /// The beacon's value (announced in advance, unpredictable, e.g. a
    /// future block hash or lottery draw).
    pub beacon: Vec<u8>,
    /// SHA-256 is iterated `2^iterations_exp` times over it.
    pub iterations_exp: u8,
    /// SHA3-256 of the final verifying key (the verifier crate's digest).
    pub vk_digest: [u8; 32],
}

impl Finalisation {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.step.write(&mut w);
        w.bytes(&self.beacon)
            .u8(self.iterations_exp)
            .fixed(&self.vk_digest);
        w.finish()
    }

    /// Strict decoding and validation.
    pub fn decode(bytes: &[u8]) -> CeremonyResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            step: Step::read(&mut r)?,
            beacon: r.bytes("beacon", MAX_BEACON)?.to_vec(),
            iterations_exp: r.u8("iteration exponent")?,
            vk_digest: r.array("verifying key digest")?,
        };
        r.finish()?;
        if out.beacon.is_empty() {
            return Err(CeremonyError::Invalid("the beacon is empty".into()));
        }
        if !BEACON_ITERATIONS_EXP.contains(&out.iterations_exp) {
            return Err(CeremonyError::Invalid(
                "beacon iterations: 2^10 to 2^63".into(),
            ));
        }
        Ok(out)
    }
}
