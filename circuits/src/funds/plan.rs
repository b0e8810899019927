//! Planning a period's proof apart from proving it, so that its chunks can
//! be proved anywhere: [`plan_period`] fixes everything random (each
//! chunk's running-totals blinding and its prover's seed) and splits the
//! period into [`ChunkJob`]s; each job proves on its own
//! ([`ChunkJob::prove`]), on this machine or another (its
//! [encoding](ChunkJob::to_bytes)); [`PeriodPlan::assemble`] puts the
//! proofs back together. A chunk's proof depends only on its job, so a
//! period proved by many workers is byte for byte the one a single process
//! proves from the same plan ([`prove_period`] is
//! exactly plan, prove each job, assemble).
//!
//! # A job is secret
//!
//! A job holds its items' openings (amounts and salts) and the running
//! totals and blindings around it: everything the published report hides.
//! It goes only to the agency's own provers, never to the log.
//!
//! # Encoding of a [`ChunkJob`]
//!
//! ```text
//! "zkfjob0" and layout version    8 bytes: "zkfjob01" (one hasher),
//!                                 "zkfjob02" (two hashers)
//! chunk size                      u32 little-endian (1..=2¹⁶)
//! categories                      u8 (1..=16)
//! chunk index                     u32 little-endian (< 2²⁰)
//! number of items n               u32 little-endian (≤ chunk size)
//! n times:
//!   amount                        u64 little-endian
//!   category                      u16 little-endian (< categories)
//!   salt                          32 bytes, canonical Pallas base element
//! categories times:
//!   running total before          32 bytes, canonical
//! blinding before                 32 bytes, canonical
//! blinding after                  32 bytes, canonical
//! prover seed                     32 bytes (ChaCha20)
//! ```
//!
//! Nothing may follow; [`ChunkJob::from_bytes`] rejects every deviation.

use core::fmt;

use ff::Field;
use halo2_proofs::{
    plonk::create_proof,
    transcript::{Blake2bWrite, Challenge255},
};
use pasta_curves::{EqAffine, pallas};
use rand_core_halo2::{Rng, SeedableRng};

use super::circuit::{FundsChunkCircuit, chunk_instance, in_layout, padded_commitments};
use super::keys::halo2_error;
use super::proof::{ChunkProof, MAX_CHUNKS, PeriodProof, PeriodReport};
use super::reader::{Reader, SHAPE_HEADER, write_shape_header};
use super::{
    FundsError, FundsParams, FundsProvingKey, FundsShape, ItemOpening, MAX_PERIOD_ITEMS, Result,
    category_totals, field_to_bytes, item_commitment, totals_commitment, totals_to_field,
};

type Fp = pallas::Base;

/// The job's magic without its layout version digit.
const MAGIC_PREFIX: &[u8; 7] = b"zkfjob0";

/// One chunk of a planned period: all its prover needs.
///
/// `Debug` shows the shape, the position and the number of items only.
#[derive(Clone, PartialEq, Eq)]
pub struct ChunkJob {
    shape: FundsShape,
    index: usize,
    items: Vec<ItemOpening>,
    totals_before: Vec<Fp>,
    blinding_before: Fp,
    blinding_after: Fp,
    seed: [u8; 32],
    before: Fp,
    after: Fp,
}

impl fmt::Debug for ChunkJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkJob")
            .field("shape", &self.shape)
            .field("index", &self.index)
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

impl ChunkJob {
    /// A job for chunk `index` of `items`, starting from `totals_before`
    /// (one per category) under `blinding_before`; the running totals after
    /// it are blinded by `blinding_after`, and `seed` drives the prover.
    fn new(
        shape: FundsShape,
        index: usize,
        items: Vec<ItemOpening>,
        totals_before: Vec<Fp>,
        blinding_before: Fp,
        blinding_after: Fp,
        seed: [u8; 32],
    ) -> (Self, Vec<Fp>) {
        let totals_after = FundsChunkCircuit::new(
            shape,
            &items,
            &totals_before,
            blinding_before,
            blinding_after,
        )
        .totals_after()
        .expect("a proving circuit");
        let job = Self {
            shape,
            index,
            before: totals_commitment(&totals_before, blinding_before),
            after: totals_commitment(&totals_after, blinding_after),
            items,
            totals_before,
            blinding_before,
            blinding_after,
            seed,
        };
        (job, totals_after)
    }

    /// The circuit shape the job is proved with.
    pub fn shape(&self) -> FundsShape {
        self.shape
    }

    /// The chunk's position in its period, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The running-totals commitment the chunk starts from.
    pub fn before(&self) -> Fp {
        self.before
    }

    /// The running-totals commitment the chunk ends with.
    pub fn after(&self) -> Fp {
        self.after
    }

    /// Proves the chunk. The proof depends on the job alone: proving one
    /// job twice, anywhere, gives the same bytes.
    ///
    /// Fails with [`FundsError::ShapeMismatch`] if `pk` is for another shape.
    pub fn prove(&self, pk: &FundsProvingKey, params: &FundsParams) -> Result<ChunkProof> {
        if pk.shape != self.shape {
            return Err(FundsError::ShapeMismatch);
        }
        let circuit = FundsChunkCircuit::new(
            self.shape,
            &self.items,
            &self.totals_before,
            self.blinding_before,
            self.blinding_after,
        );
        let commitments: Vec<Fp> = self.items.iter().map(item_commitment).collect();
        let instance = chunk_instance(
            self.items.len(),
            self.before,
            self.after,
            &padded_commitments(&commitments, self.shape.chunk_size()),
        );
        let mut transcript = Blake2bWrite::<_, EqAffine, Challenge255<_>>::init(vec![]);
        in_layout!(circuit, |circuit| create_proof(
            &params.0,
            &pk.pk,
            std::slice::from_ref(&circuit),
            &[&[&instance[..]]],
            chacha20::ChaCha20Rng::from_seed(self.seed),
            &mut transcript,
        ))
        .map_err(halo2_error)?;
        Ok(ChunkProof {
            before: self.before,
            after: self.after,
            proof: transcript.finalize(),
        })
    }

    /// The encoding described in the module documentation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let categories = self.shape.categories();
        let mut out =
            Vec::with_capacity(SHAPE_HEADER + 8 + self.items.len() * 42 + (categories + 3) * 32);
        write_shape_header(&mut out, MAGIC_PREFIX, self.shape);
        out.extend_from_slice(&(self.index as u32).to_le_bytes());
        out.extend_from_slice(&(self.items.len() as u32).to_le_bytes());
        for item in &self.items {
            out.extend_from_slice(&item.amount.to_le_bytes());
            out.extend_from_slice(&item.category.to_le_bytes());
            out.extend_from_slice(&field_to_bytes(&item.salt));
        }
        for total in &self.totals_before {
            out.extend_from_slice(&field_to_bytes(total));
        }
        out.extend_from_slice(&field_to_bytes(&self.blinding_before));
        out.extend_from_slice(&field_to_bytes(&self.blinding_after));
        out.extend_from_slice(&self.seed);
        out
    }

    /// Decodes [`ChunkJob::to_bytes`] strictly: magic, a valid shape, a
    /// chunk index below [`MAX_CHUNKS`], at most a chunk of items each of a
    /// category the shape has, canonical field elements, no trailing bytes.
    /// The commitments before and after are recomputed, never read.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let malformed = FundsError::MalformedJob;
        let mut reader = Reader::new(bytes, FundsError::MalformedJob);
        let shape = reader.shape_header(MAGIC_PREFIX)?;
        let (chunk_size, categories) = (shape.chunk_size(), shape.categories());
        let index = reader.u32()? as usize;
        if index >= MAX_CHUNKS {
            return Err(malformed("chunk index out of range"));
        }
        let count = reader.u32()? as usize;
        if count > chunk_size {
            return Err(malformed("more items than a chunk holds"));
        }
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            let amount = u64::from_le_bytes(reader.array()?);
            let category = u16::from_le_bytes(reader.array()?);
            if usize::from(category) >= categories {
                return Err(malformed("item category out of range"));
            }
            let salt = reader.field()?;
            items.push(ItemOpening {
                amount,
                category,
                salt,
            });
        }
        let totals_before = (0..categories)
            .map(|_| reader.field())
            .collect::<Result<Vec<_>>>()?;
        let blinding_before = reader.field()?;
        let blinding_after = reader.field()?;
        let seed: [u8; 32] = reader.array()?;
        reader.finish()?;
        let (job, _) = Self::new(
            shape,
            index,
            items,
            totals_before,
            blinding_before,
            blinding_after,
            seed,
        );
        Ok(job)
    }
}

/// A period split into chunk jobs, with what the report publishes.
#[derive(Clone)]
pub struct PeriodPlan {
    shape: FundsShape,
    totals: Vec<u128>,
    final_blinding: Fp,
    jobs: Vec<ChunkJob>,
}

impl fmt::Debug for PeriodPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeriodPlan")
            .field("shape", &self.shape)
            .field("jobs", &self.jobs.len())
            .finish_non_exhaustive()
    }
}

impl PeriodPlan {
    /// The circuit shape of every job.
    pub fn shape(&self) -> FundsShape {
        self.shape
    }

    /// The chunk jobs, in chain order.
    pub fn jobs(&self) -> &[ChunkJob] {
        &self.jobs
    }

    /// The report from the jobs' proofs, in chain order: one per job, each
    /// between the commitments its job planned
    /// ([`FundsError::NotThePlannedChunk`] names the first that is not).
    /// It does not check the proofs themselves: verify the report
    /// ([`verify_period`](super::verify_period)) when they come from
    /// another process.
    pub fn assemble(self, proofs: Vec<ChunkProof>) -> Result<PeriodReport> {
        if proofs.len() != self.jobs.len() {
            return Err(FundsError::NotThePlannedChunk {
                chunk: proofs.len().min(self.jobs.len()),
            });
        }
        for (job, proof) in self.jobs.iter().zip(&proofs) {
            if proof.before != job.before || proof.after != job.after {
                return Err(FundsError::NotThePlannedChunk { chunk: job.index });
            }
        }
        Ok(PeriodReport {
            totals: self.totals,
            final_blinding: self.final_blinding,
            proof: PeriodProof {
                shape: self.shape,
                chunks: proofs,
            },
        })
    }
}

/// Proves a period's totals: splits `openings` (in log order) into chunks of
/// the key's shape, chains them by blinded running totals and proves the
/// chunks (in parallel with the `parallel` feature): [`plan_period`], then
/// [`ChunkJob::prove`] for every job, then [`PeriodPlan::assemble`] (see
/// the [module documentation](self) to prove the jobs elsewhere).
///
/// Fails with [`FundsError::CategoryOutOfRange`] for an item whose category
/// the shape does not have, [`FundsError::TooManyItems`] beyond
/// [`MAX_PERIOD_ITEMS`].
pub fn prove_period(
    openings: &[ItemOpening],
    pk: &FundsProvingKey,
    params: &FundsParams,
    rng: impl Rng,
) -> Result<PeriodReport> {
    let plan = plan_period(openings, pk.shape, rng)?;
    let prove = |job: &ChunkJob| job.prove(pk, params);
    #[cfg(feature = "parallel")]
    let chunks = {
        use rayon::prelude::*;
        plan.jobs()
            .par_iter()
            .map(prove)
            .collect::<Result<Vec<_>>>()?
    };
    #[cfg(not(feature = "parallel"))]
    let chunks = plan.jobs().iter().map(prove).collect::<Result<Vec<_>>>()?;
    plan.assemble(chunks)
}

/// Plans a period's proof: splits `openings` (in log order) into chunks of
/// `shape` and chains them by running totals, each intermediate commitment
/// under a fresh blinding from `rng`, each chunk with its own prover seed
/// from `rng`.
///
/// Fails with [`FundsError::CategoryOutOfRange`] for an item whose category
/// the shape does not have, [`FundsError::TooManyItems`] beyond
/// [`MAX_PERIOD_ITEMS`].
pub fn plan_period(
    openings: &[ItemOpening],
    shape: FundsShape,
    mut rng: impl Rng,
) -> Result<PeriodPlan> {
    if openings.len() > MAX_PERIOD_ITEMS {
        return Err(FundsError::TooManyItems {
            max: MAX_PERIOD_ITEMS,
            found: openings.len(),
        });
    }
    let totals = category_totals(openings, shape.categories())?;
    let chunks: Vec<&[ItemOpening]> = if openings.is_empty() {
        vec![&[]]
    } else {
        openings.chunks(shape.chunk_size()).collect()
    };
    let mut jobs = Vec::with_capacity(chunks.len());
    let mut running = vec![Fp::ZERO; shape.categories()];
    let mut blinding = Fp::ZERO;
    for (index, items) in chunks.into_iter().enumerate() {
        let blinding_after = Fp::random(&mut rng);
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let (job, after) = ChunkJob::new(
            shape,
            index,
            items.to_vec(),
            running,
            blinding,
            blinding_after,
            seed,
        );
        jobs.push(job);
        running = after;
        blinding = blinding_after;
    }
    debug_assert_eq!(running, totals_to_field(&totals));
    Ok(PeriodPlan {
        shape,
        totals,
        final_blinding: blinding,
        jobs,
    })
}

#[cfg(test)]
mod tests;
