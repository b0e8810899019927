//! Spot audits: the request, the agency's answer, and the sample of items
//! anyone recomputes from the request's seed.

use sha3::{Digest, Sha3_256};
use zkaudit_circuits::funds::{ItemOpening, field_from_bytes};

use super::{read_field, read_period};
use crate::codec::{Reader, Writer};
use crate::funds::error::invalid;
use crate::funds::{FundsResult, MAX_SAMPLE, SAMPLE_CONTEXT};
use crate::signature::parse_verifying_key;

/// `audit.request`: an oversight body asks an agency to open items of a
/// reported period: items it chose (e.g. suspicious labels) and a random
/// sample of the others drawn from the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRequest {
    /// The audited agency's Ed25519 key.
    pub agency: [u8; 32],
    /// Period id.
    pub period: String,
    /// Size of the checkpoint whose root is the seed.
    pub seed_size: u64,
    /// The root of the log's tree at `seed_size` (the service checks it).
    pub seed: [u8; 32],
    /// Randomly sampled items to open besides the chosen ones (capped at
    /// the period's other items).
    pub sample: u32,
    /// Positions the requester chose, strictly increasing (each below the
    /// period's number of items). Chosen and sampled items together are 1
    /// to [`MAX_SAMPLE`].
    pub chosen: Vec<u32>,
}

impl AuditRequest {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.fixed(&self.agency)
            .str(&self.period)
            .u64(self.seed_size)
            .fixed(&self.seed)
            .u32(self.sample)
            .u32(self.chosen.len() as u32);
        for position in &self.chosen {
            w.u32(*position);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let agency = r.array::<32>("agency")?;
        parse_verifying_key(&agency).map_err(|e| invalid(format!("agency: {e}")))?;
        let period = read_period(&mut r)?;
        let seed_size = r.u64("seed size")?;
        let seed = r.array::<32>("seed")?;
        let sample = r.u32("sample")?;
        let count = r.u32("chosen items")? as usize;
        if count > MAX_SAMPLE {
            return Err(invalid(format!("at most {MAX_SAMPLE} chosen items")));
        }
        let chosen = (0..count)
            .map(|_| r.u32("chosen item"))
            .collect::<Result<Vec<_>, _>>()?;
        r.finish()?;
        let total = sample as usize + count;
        if total == 0 || total > MAX_SAMPLE {
            return Err(invalid(format!(
                "chosen and sampled items: 1 to {MAX_SAMPLE} together"
            )));
        }
        if chosen.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid("chosen items: strictly increasing"));
        }
        Ok(Self {
            agency,
            period,
            seed_size,
            seed,
            sample,
            chosen,
        })
    }

    /// The positions the answer must open, for a period of `items` items:
    /// [`audit_positions`]; [`FundsRuleError::Invalid`](crate::funds::FundsRuleError::Invalid) if a chosen item is
    /// not in the period.
    pub fn positions(&self, items: usize) -> FundsResult<Vec<u32>> {
        if let Some(&last) = self.chosen.last()
            && last as usize >= items
        {
            return Err(invalid(format!(
                "chosen item {last}: the period has {items} items"
            )));
        }
        Ok(audit_positions(
            &self.seed,
            &self.agency,
            &self.period,
            items,
            self.sample as usize,
            &self.chosen,
        ))
    }
}

/// The items an audit opens: the `chosen` positions and
/// `min(sample, items − chosen)` other positions drawn by
/// [`derive_sample`]'s procedure with the chosen ones skipped, sorted.
pub fn audit_positions(
    seed: &[u8; 32],
    agency: &[u8; 32],
    period: &str,
    items: usize,
    sample: usize,
    chosen: &[u32],
) -> Vec<u32> {
    let mut all = sample_excluding(seed, agency, period, items, sample, chosen);
    all.extend_from_slice(chosen);
    all.sort_unstable();
    all.dedup();
    all
}

/// One opened item of an audit answer.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedItem {
    /// The item's position in the period (0 = first logged).
    pub item: u32,
    /// Amount in minor units.
    pub amount: u64,
    /// Category.
    pub category: u16,
    /// Salt, canonical bytes.
    pub salt: [u8; 32],
}

impl core::fmt::Debug for OpenedItem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Opened items are public once logged; still, keep the salt out.
        f.debug_struct("OpenedItem")
            .field("item", &self.item)
            .field("amount", &self.amount)
            .field("category", &self.category)
            .finish()
    }
}

impl OpenedItem {
    /// The opening as the circuit's type.
    pub fn opening(&self) -> FundsResult<ItemOpening> {
        Ok(ItemOpening {
            amount: self.amount,
            category: self.category,
            salt: field_from_bytes(&self.salt).map_err(|_| invalid("salt"))?,
        })
    }
}

/// `audit.opening`: the agency's answer to an audit request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOpening {
    /// Record id of the `audit.request`.
    pub request: [u8; 32],
    /// The sampled items' openings, in sample order.
    pub items: Vec<OpenedItem>,
}

impl AuditOpening {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.fixed(&self.request).u32(self.items.len() as u32);
        for i in &self.items {
            w.u32(i.item).u64(i.amount).u16(i.category).fixed(&i.salt);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let request = r.array::<32>("request")?;
        let n = r.u32("items")? as usize;
        if n > MAX_SAMPLE {
            return Err(invalid(format!("at most {MAX_SAMPLE} opened items")));
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(OpenedItem {
                item: r.u32("item")?,
                amount: r.u64("amount")?,
                category: r.u16("category")?,
                salt: read_field(&mut r, "salt")?,
            });
        }
        r.finish()?;
        Ok(Self { request, items })
    }
}

/// The positions of the items an audit opens: `min(sample, items)`
/// distinct positions below `items`, sorted, drawn by SHA3-256 in counter
/// mode over the seed, the agency and the period (rejection sampling, so
/// every position is equally likely).
pub fn derive_sample(
    seed: &[u8; 32],
    agency: &[u8; 32],
    period: &str,
    items: usize,
    sample: usize,
) -> Vec<u32> {
    sample_excluding(seed, agency, period, items, sample, &[])
}

/// [`derive_sample`] over the positions not in `exclude` (each below `items`).
fn sample_excluding(
    seed: &[u8; 32],
    agency: &[u8; 32],
    period: &str,
    items: usize,
    sample: usize,
    exclude: &[u32],
) -> Vec<u32> {
    let want = sample.min(items.saturating_sub(exclude.len()));
    let mut drawn = std::collections::BTreeSet::new();
    let bound = items as u64;
    // The largest multiple of `bound` below 2^64: values at or above it are
    // rejected so the reduction is unbiased.
    let zone = if bound == 0 {
        0
    } else {
        u64::MAX - (u64::MAX % bound)
    };
    let mut counter = 0u64;
    while drawn.len() < want {
        let digest = Sha3_256::new()
            .chain_update(SAMPLE_CONTEXT)
            .chain_update(seed)
            .chain_update(agency)
            .chain_update((period.len() as u16).to_be_bytes())
            .chain_update(period.as_bytes())
            .chain_update(counter.to_be_bytes())
            .finalize();
        counter += 1;
        for word in digest.chunks_exact(8) {
            let v = u64::from_be_bytes(word.try_into().expect("8 bytes"));
            let position = (v % bound.max(1)) as u32;
            if v < zone && drawn.len() < want && !exclude.contains(&position) {
                drawn.insert(position);
            }
        }
    }
    drawn.into_iter().collect()
}
