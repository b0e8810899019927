//! Proving and verifying a period: chunk proofs chained by committed
//! running totals, and the period proof's binary encoding (both described
//! in the [module documentation](super)).

use halo2_proofs::{
    plonk::{BatchVerifier, SingleVerifier, verify_proof},
    transcript::{Blake2bRead, Challenge255},
};
use pasta_curves::{EqAffine, pallas};

use super::circuit::{chunk_instance, padded_commitments};
use super::reader::{Reader, SHAPE_HEADER, write_shape_header};
use super::{
    FundsError, FundsParams, FundsShape, FundsVerifyingKey, MAX_PERIOD_ITEMS, Result,
    field_to_bytes, initial_totals_commitment, totals_commitment, totals_to_field,
};

type Fp = pallas::Base;

/// The period proof's magic without its layout version digit.
const MAGIC_PREFIX: &[u8; 7] = b"zkfunds";
/// The largest number of chunks in one period proof.
pub const MAX_CHUNKS: usize = 1 << 20;
/// The largest encoded halo2 proof of one chunk.
pub const MAX_CHUNK_PROOF_BYTES: usize = 1 << 20;

/// One chunk's proof with the running-totals commitments it goes between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkProof {
    /// Running-totals commitment before the chunk.
    pub before: Fp,
    /// Running-totals commitment after the chunk.
    pub after: Fp,
    /// The halo2 proof (Blake2b transcript).
    pub proof: Vec<u8>,
}

/// The proof that a period's logged items sum, per category, to the
/// published totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodProof {
    /// The chunk circuit's shape.
    pub shape: FundsShape,
    /// One proof per chunk, in log order.
    pub chunks: Vec<ChunkProof>,
}

/// What an agency publishes for a period besides the logged commitments.
#[derive(Clone)]
pub struct PeriodReport {
    /// Per-category totals in minor units, one per category of the shape.
    pub totals: Vec<u128>,
    /// The blinding of the last running-totals commitment (reveals nothing
    /// the totals don't).
    pub final_blinding: Fp,
    /// The proof.
    pub proof: PeriodProof,
}

impl core::fmt::Debug for PeriodReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PeriodReport")
            .field("totals", &self.totals)
            .field("chunks", &self.proof.chunks.len())
            .finish_non_exhaustive()
    }
}

/// Where a run of chunk proofs starts in a period's chain of running totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainStart {
    /// Position of the run's first chunk in the period, from 0.
    pub chunk: usize,
    /// The running-totals commitment the run starts from.
    pub commitment: Fp,
}

impl ChainStart {
    /// The start of every period: chunk 0, [`initial_totals_commitment`].
    pub fn initial() -> Self {
        Self {
            chunk: 0,
            commitment: initial_totals_commitment(),
        }
    }

    /// Where the run `chunks` starting here ends, if its chain is unbroken:
    /// each chunk must start from the commitment the previous one ended
    /// with ([`FundsError::ChainBroken`] names the first that does not).
    pub fn follow(self, chunks: &[ChunkProof]) -> Result<Self> {
        let mut at = self;
        for chunk_proof in chunks {
            if chunk_proof.before != at.commitment {
                return Err(FundsError::ChainBroken { chunk: at.chunk });
            }
            at = Self {
                chunk: at.chunk + 1,
                commitment: chunk_proof.after,
            };
        }
        Ok(at)
    }
}

/// Verifies that `commitments` (the period's logged item commitments, in
/// log order) open to amounts in `[0, 2⁶⁴)` whose per-category sums are
/// `totals`, with the last running-totals commitment blinded by
/// `final_blinding`.
///
/// Checks, in order: the proof's shape is the key's
/// ([`FundsError::ShapeMismatch`]), one total per category
/// ([`FundsError::TotalsCount`]), the number of chunks
/// ([`FundsError::ChunkCount`]), the chain from the all-zero totals
/// ([`FundsError::ChainBroken`]), the last commitment against the published
/// totals ([`FundsError::TotalsMismatch`]), and every chunk proof against
/// its slice of the log ([`FundsError::ChunkProofInvalid`], naming the first
/// bad chunk). The chunk proofs are checked as one batch first; only a
/// failing batch is re-checked chunk by chunk.
pub fn verify_period(
    commitments: &[Fp],
    totals: &[u128],
    final_blinding: Fp,
    proof: &PeriodProof,
    params: &FundsParams,
    vk: &FundsVerifyingKey,
) -> Result<()> {
    verify_period_from(
        commitments,
        totals,
        final_blinding,
        ChainStart::initial(),
        proof,
        params,
        vk,
    )
}

/// [`verify_period`] for the last run of a period's chunks, `tail`, when
/// the chunks before `start.chunk` were verified already (a report logged
/// in several records: each earlier run was verified with
/// [`verify_chunk_run`] when it was logged). `tail` must hold the period's
/// remaining chunks, at least one.
pub fn verify_period_from(
    commitments: &[Fp],
    totals: &[u128],
    final_blinding: Fp,
    start: ChainStart,
    tail: &PeriodProof,
    params: &FundsParams,
    vk: &FundsVerifyingKey,
) -> Result<()> {
    let shape = vk.shape;
    if tail.shape != shape {
        return Err(FundsError::ShapeMismatch);
    }
    if totals.len() != shape.categories() {
        return Err(FundsError::TotalsCount {
            expected: shape.categories(),
            found: totals.len(),
        });
    }
    if commitments.len() > MAX_PERIOD_ITEMS {
        return Err(FundsError::TooManyItems {
            max: MAX_PERIOD_ITEMS,
            found: commitments.len(),
        });
    }
    let expected = shape.chunks_for(commitments.len());
    if start.chunk + tail.chunks.len() != expected {
        return Err(FundsError::ChunkCount {
            items: commitments.len(),
            expected,
            found: start.chunk + tail.chunks.len(),
        });
    }
    let end = start.follow(&tail.chunks)?;
    if end.commitment != totals_commitment(&totals_to_field(totals), final_blinding) {
        return Err(FundsError::TotalsMismatch);
    }
    verify_chunk_proofs(commitments, start.chunk, &tail.chunks, params, vk)
}

/// Verifies a run of chunk proofs that is not the end of its period (a
/// part of a report logged in several records): the run's shape, that it
/// lies within the chunks `commitments` need, its chain from `start`, and
/// every chunk proof against its slice of `commitments`. Returns where the
/// run ends. It says nothing about totals: the period's last run is
/// checked with [`verify_period_from`].
pub fn verify_chunk_run(
    commitments: &[Fp],
    start: ChainStart,
    run: &PeriodProof,
    params: &FundsParams,
    vk: &FundsVerifyingKey,
) -> Result<ChainStart> {
    let shape = vk.shape;
    if run.shape != shape {
        return Err(FundsError::ShapeMismatch);
    }
    let expected = shape.chunks_for(commitments.len());
    if start.chunk + run.chunks.len() > expected {
        return Err(FundsError::ChunkCount {
            items: commitments.len(),
            expected,
            found: start.chunk + run.chunks.len(),
        });
    }
    let end = start.follow(&run.chunks)?;
    verify_chunk_proofs(commitments, start.chunk, &run.chunks, params, vk)?;
    Ok(end)
}

/// Checks the proofs of chunks `first_chunk..` against their slices of
/// `commitments`, as one batch; a failing batch is re-checked chunk by
/// chunk to name the first bad one.
fn verify_chunk_proofs(
    commitments: &[Fp],
    first_chunk: usize,
    chunks: &[ChunkProof],
    params: &FundsParams,
    vk: &FundsVerifyingKey,
) -> Result<()> {
    let size = vk.shape.chunk_size();
    let instances: Vec<Vec<Fp>> = chunks
        .iter()
        .enumerate()
        .map(|(offset, chunk_proof)| {
            let start = ((first_chunk + offset) * size).min(commitments.len());
            let end = (start + size).min(commitments.len());
            chunk_instance(
                end - start,
                chunk_proof.before,
                chunk_proof.after,
                &padded_commitments(&commitments[start..end], size),
            )
        })
        .collect();

    if chunks.len() > 1 {
        let mut batch = BatchVerifier::new();
        for (instance, chunk_proof) in instances.iter().zip(chunks) {
            batch.add_proof(vec![vec![instance.clone()]], chunk_proof.proof.clone());
        }
        if batch.finalize(&params.0, &vk.vk) {
            return Ok(());
        }
    }
    for (offset, (instance, chunk_proof)) in instances.iter().zip(chunks).enumerate() {
        let mut transcript =
            Blake2bRead::<_, EqAffine, Challenge255<_>>::init(&chunk_proof.proof[..]);
        verify_proof(
            &params.0,
            &vk.vk,
            SingleVerifier::new(&params.0),
            &[&[&instance[..]]],
            &mut transcript,
        )
        .map_err(|_| FundsError::ChunkProofInvalid {
            chunk: first_chunk + offset,
        })?;
    }
    // A failed batch whose proofs all verify one by one: the batch's random
    // weights were unlucky, which happens with negligible probability.
    Ok(())
}

impl PeriodProof {
    /// The encoding described in the module documentation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let size: usize = self.chunks.iter().map(|c| 68 + c.proof.len()).sum();
        let mut out = Vec::with_capacity(SHAPE_HEADER + 4 + size);
        write_shape_header(&mut out, MAGIC_PREFIX, self.shape);
        out.extend_from_slice(&(self.chunks.len() as u32).to_le_bytes());
        for chunk in &self.chunks {
            out.extend_from_slice(&field_to_bytes(&chunk.before));
            out.extend_from_slice(&field_to_bytes(&chunk.after));
            out.extend_from_slice(&(chunk.proof.len() as u32).to_le_bytes());
            out.extend_from_slice(&chunk.proof);
        }
        out
    }

    /// Splits the proof into consecutive runs of chunks whose encodings are
    /// each at most `max_bytes` long (for a report logged in several
    /// records), in chain order; `None` if one chunk alone is too large.
    pub fn runs(&self, max_bytes: usize) -> Option<Vec<PeriodProof>> {
        const HEADER: usize = SHAPE_HEADER + 4;
        let mut runs = Vec::new();
        let mut current: Vec<ChunkProof> = Vec::new();
        let mut size = HEADER;
        for chunk in &self.chunks {
            let chunk_size = 68 + chunk.proof.len();
            if HEADER + chunk_size > max_bytes {
                return None;
            }
            if size + chunk_size > max_bytes {
                runs.push(std::mem::take(&mut current));
                size = HEADER;
            }
            current.push(chunk.clone());
            size += chunk_size;
        }
        runs.push(current);
        Some(
            runs.into_iter()
                .map(|chunks| PeriodProof {
                    shape: self.shape,
                    chunks,
                })
                .collect(),
        )
    }

    /// Decodes [`PeriodProof::to_bytes`] strictly: a magic naming a layout, a valid shape,
    /// bounded counts and lengths, canonical field elements, no trailing
    /// bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(bytes, FundsError::MalformedProof);
        let shape = reader.shape_header(MAGIC_PREFIX)?;
        let count = reader.u32()? as usize;
        if !(1..=MAX_CHUNKS).contains(&count) {
            return Err(FundsError::MalformedProof("chunk count out of range"));
        }
        let mut chunks = Vec::with_capacity(count.min(bytes.len() / 68));
        for _ in 0..count {
            let before = reader.field()?;
            let after = reader.field()?;
            let len = reader.u32()? as usize;
            if !(1..=MAX_CHUNK_PROOF_BYTES).contains(&len) {
                return Err(FundsError::MalformedProof(
                    "chunk proof length out of range",
                ));
            }
            let proof = reader.take(len)?.to_vec();
            chunks.push(ChunkProof {
                before,
                after,
                proof,
            });
        }
        reader.finish()?;
        Ok(Self { shape, chunks })
    }
}

#[cfg(test)]
mod tests;
