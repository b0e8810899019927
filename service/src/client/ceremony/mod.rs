//! A ceremony through the service: its state, its key and phase-1 files
//! (checked against the digests the log holds), the upload of a step, and
//! the check of the whole transcript; [`steps`] writes to it (start,
//! contribute, finalise).

pub mod steps;

use anyhow::{Context, Result, bail, ensure};
use blake2::Blake2b512;
use blake2::Digest as _;
use sha3::Digest as _;
use sha3::Sha3_256;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::elgamal::decode_point;
use zkaudit_ledger::ceremony::Ceremony;
use zkaudit_ledger::record::Record;
use zkaudit_prover::ceremony::{VerifiedContribution, verify_ceremony};
use zkaudit_prover::iden3::{ContributionKind, Ptau, Zkey};
use zkaudit_verifier::Receipt;
use zkaudit_verifier::ceremony::{CeremonyTranscript, VerifiedTranscript};

use super::{Client, record_base64};
use crate::domains::ceremony::Shape;
use crate::domains::ceremony::views::CeremonyView;
use crate::domains::election::ElectionView;

/// Largest key or phase-1 file downloaded.
const MAX_FILE: u64 = 4 << 30;

/// The ceremony `id` as the service has it.
pub fn view(client: &Client, id: &str) -> Result<CeremonyView> {
    Ok(client.get(&format!("/v1/ceremony/ceremonies/{id}"))?)
}

/// The key with SHA3-256 `digest` (hex), checked against it.
pub fn key(client: &Client, digest: &str) -> Result<Vec<u8>> {
    let bytes = client.get_bytes_up_to(&format!("/v1/ceremony/keys/{digest}"), MAX_FILE)?;
    ensure!(
        hex::encode(Sha3_256::digest(&bytes)) == digest,
        "the server sent a key that is not {digest}"
    );
    Ok(bytes)
}

/// The phase-1 file `name`, checked against its logged BLAKE2b-512 (hex).
pub fn phase1(client: &Client, name: &str, blake2b: &str) -> Result<Vec<u8>> {
    let bytes = client.get_bytes_up_to(&format!("/v1/ceremony/phase1/{name}"), MAX_FILE)?;
    ensure!(
        hex::encode(Blake2b512::digest(&bytes)) == blake2b,
        "the server sent a phase-1 file {name} with another hash than the log's"
    );
    Ok(bytes)
}

/// Uploads a step's key with its signed record; returns the receipt.
pub fn upload(client: &Client, ceremony: &str, record: &Record, key: &[u8]) -> Result<Receipt> {
    Ok(client.post_bytes(
        &format!("/v1/ceremony/ceremonies/{ceremony}/steps"),
        (
            crate::domains::ceremony::RECORD_HEADER,
            &record_base64(record),
        ),
        key,
    )?)
}

/// A ceremony checked end to end: the transcript against the log, and the
/// latest key against the phase-1 file and every logged step.
pub struct CheckedCeremony {
    /// The transcript, verified against the log.
    pub transcript: VerifiedTranscript,
    /// Every contribution in the key, checked, oldest first.
    pub contributions: Vec<VerifiedContribution>,
    /// The latest key.
    pub key: Zkey,
}

/// Downloads and checks ceremony `id`: its transcript (inclusion in the log
/// signed by `log_vkey`, the coordinator's grants, the chain of steps), the
/// phase-1 file and the latest key against their logged digests, the key
/// against the phase-1 file and the shape's constraint system
/// ([`verify_ceremony`]), and that the key's contributions are exactly the
/// logged steps, in order, with their names, hashes and beacon.
pub fn check(client: &Client, id: &str, log_vkey: &str) -> Result<CheckedCeremony> {
    let transcript: CeremonyTranscript = client
        .get(&format!("/v1/ceremony/ceremonies/{id}/transcript"))
        .context("the server sent no transcript")?;
    let transcript = transcript
        .verify(log_vkey)
        .context("the transcript does NOT verify against the log")?;
    let ceremony = &transcript.ceremony;
    let phase1 = &ceremony.start.phase1;
    let ptau = self::phase1(client, &phase1.name, &hex::encode(phase1.blake2b))?;
    let head = hex::encode(ceremony.head());
    let key =
        Zkey::from_bytes(&self::key(client, &head)?).context("the latest key is malformed")?;
    let shape = shape(client, &ceremony.start.shape)?;
    let ptau = Ptau::parse(&ptau).context("the phase-1 file is malformed")?;
    let contributions = verify_ceremony(&shape.r1cs()?, &ptau, &key, &mut rand::rngs::OsRng)
        .context("the ceremony's key does NOT verify")?;
    matches_log(ceremony, &contributions)?;
    Ok(CheckedCeremony {
        transcript,
        contributions,
        key,
    })
}

/// The shape `id` names; a v3 ballot shape's key is looked up among the
/// joint keys of the service's elections of that shape. The key need not
/// be trusted: the id carries its tag, a hash of it
/// ([`Shape::from_id_with_keys`]).
fn shape(client: &Client, id: &str) -> Result<Shape> {
    if let Some(shape) = Shape::from_id(id) {
        return Ok(shape);
    }
    let elections: Vec<ElectionView> = client.get("/v1/elections")?;
    let keys: Vec<Point> = elections
        .iter()
        .filter(|e| e.ballot_shape.as_deref() == Some(id))
        .filter_map(joint_key)
        .collect();
    Shape::from_id_with_keys(id, &keys).with_context(|| {
        format!("unknown shape {id} (a v3 ballot shape names an election's joint key)")
    })
}

/// The ballot circuit of election `id` as the service has it; a v3
/// election's is made for its joint key, so it exists once voting opens.
///
/// # Errors
///
/// An unknown election, one without a circuit yet, or a served joint key
/// that is not the one the shape id names.
pub fn election_shape(client: &Client, id: &str) -> Result<Shape> {
    let view: ElectionView = client.get(&format!("/v1/elections/{id}"))?;
    let shape = view.ballot_shape.as_deref().with_context(|| {
        format!(
            "election {id} has no ballot circuit yet: one made for its joint key exists once \
             voting opens"
        )
    })?;
    Shape::from_id_with_keys(shape, joint_key(&view).as_ref())
        .with_context(|| format!("the service's election {id} names an unknown shape {shape}"))
}

/// An election's joint key as served, decoded strictly; `None` before it
/// is logged, or if it is no key.
fn joint_key(view: &ElectionView) -> Option<Point> {
    decode_point(&hex::decode(view.joint_key.as_ref()?).ok()?).ok()
}

/// The key's contributions are the logged steps, one for one.
fn matches_log(ceremony: &Ceremony, contributions: &[VerifiedContribution]) -> Result<()> {
    let mut logged: Vec<_> = ceremony.contributions.iter().map(|c| &c.step).collect();
    logged.extend(ceremony.finalisation.iter().map(|(f, _)| &f.step));
    if logged.len() != contributions.len() {
        bail!(
            "the key holds {} contributions, the log {}",
            contributions.len(),
            logged.len()
        );
    }
    for (i, (step, c)) in logged.iter().zip(contributions).enumerate() {
        ensure!(
            c.hash == step.contribution_hash && c.name.as_deref() == Some(step.name.as_str()),
            "contribution #{} in the key is not the one the log holds",
            i + 1
        );
        let is_beacon = matches!(c.kind, ContributionKind::Beacon { .. });
        ensure!(
            is_beacon == (i + 1 == logged.len() && ceremony.is_final()),
            "contribution #{} is a beacon where the log has none, or the reverse",
            i + 1
        );
    }
    if let Some((f, _)) = &ceremony.finalisation
        && let Some(ContributionKind::Beacon {
            iterations_exp,
            hash,
        }) = contributions.last().map(|c| &c.kind)
    {
        ensure!(
            (*iterations_exp, hash) == (f.iterations_exp, &f.beacon),
            "the key's beacon is not the logged one"
        );
    }
    Ok(())
}
