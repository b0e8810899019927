//! Budgets (with their categories), contracts and expenditures.

use sha3::{Digest, Sha3_256};
use zkaudit_circuits::funds::{FundsShape, MAX_CATEGORIES};

use super::{read_field, read_label, read_period};
use crate::codec::{Reader, Writer};
use crate::funds::error::invalid;
use crate::funds::{CHUNK_SIZES, FundsResult, MAX_DOCUMENTS};

/// One budget category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// Public label, e.g. `"roads"`.
    pub label: String,
    /// Appropriation in minor units.
    pub appropriation: u64,
    /// The tender id of the agency's contract whose payments this category
    /// holds, if any: its total over every reported period is capped by
    /// the contract's value.
    pub contract: Option<String>,
}

/// `budget`: an agency's appropriation for one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Period id, e.g. `"2027-Q1"`.
    pub period: String,
    /// Items per proof chunk, one of [`CHUNK_SIZES`].
    pub chunk_size: u32,
    /// The categories (1 to 16); item categories index this list.
    pub categories: Vec<Category>,
}

impl Budget {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.period)
            .u32(self.chunk_size)
            .u8(self.categories.len() as u8);
        for c in &self.categories {
            w.str(&c.label).u64(c.appropriation);
            match &c.contract {
                None => w.u8(0),
                Some(tender) => w.u8(1).str(tender),
            };
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let period = read_period(&mut r)?;
        let chunk_size = r.u32("chunk size")?;
        let n = r.u8("categories")? as usize;
        let mut categories = Vec::with_capacity(n);
        for _ in 0..n {
            let label = read_label(&mut r, "category label")?;
            let appropriation = r.u64("appropriation")?;
            let contract = match r.u8("contract flag")? {
                0 => None,
                1 => Some(
                    read_period(&mut r).map_err(|_| invalid("tender: 1-32 of [A-Za-z0-9-.]"))?,
                ),
                _ => return Err(invalid("contract flag: 0 or 1")),
            };
            categories.push(Category {
                label,
                appropriation,
                contract,
            });
        }
        r.finish()?;
        let budget = Self {
            period,
            chunk_size,
            categories,
        };
        budget.shape()?;
        let mut tenders: Vec<&String> = budget.contracts().map(|(_, t)| t).collect();
        tenders.sort_unstable();
        if tenders.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid("a contract is bound to at most one category"));
        }
        Ok(budget)
    }

    /// The categories bound to contracts: (category, tender id).
    pub fn contracts(&self) -> impl Iterator<Item = (usize, &String)> {
        self.categories
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.contract.as_ref().map(|t| (i, t)))
    }

    /// The circuit shape the period's report is proved in.
    pub fn shape(&self) -> FundsResult<FundsShape> {
        if !CHUNK_SIZES.contains(&(self.chunk_size as usize)) {
            return Err(invalid(format!("chunk size: one of {CHUNK_SIZES:?}")));
        }
        if self.categories.is_empty() || self.categories.len() > MAX_CATEGORIES {
            return Err(invalid("categories: 1 to 16"));
        }
        FundsShape::new(self.chunk_size as usize, self.categories.len())
            .map_err(|e| invalid(e.to_string()))
    }
}

/// `contract`: a procurement award, public in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// Tender id (same syntax as period ids), unique per agency.
    pub tender: String,
    /// The winner's public name or registry number.
    pub winner: String,
    /// Contract value in minor units.
    pub value: u64,
    /// Award date, days since 1970-01-01.
    pub awarded_day: u32,
    /// End of the contract, days since 1970-01-01 (not before the award).
    pub ends_day: u32,
    /// SHA3-256 digests of the tender and contract documents (at most 16).
    pub documents: Vec<[u8; 32]>,
    /// The OCDS release it was imported from, if any.
    pub source: Option<ContractSource>,
}

/// What an imported contract keeps of its OCDS release, so that its
/// export speaks of it as its source did: the identifiers other systems
/// know it by, its title and the currency its minor units are in.
///
/// Encoded after the documents behind a `1` byte; a contract logged
/// without a source ends at its documents (the encoding of contracts
/// logged before imports existed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractSource {
    /// The contracting process's `ocid`.
    pub ocid: String,
    /// The release's `tender.id` (may be empty).
    pub tender_id: String,
    /// The award's `id`.
    pub award_id: String,
    /// The contract's `title` (may be empty).
    pub title: String,
    /// ISO 4217 code of the value's currency.
    pub currency: String,
    /// Decimal places of the currency's minor unit (at most 4).
    pub decimals: u8,
}

impl ContractSource {
    fn encode(&self, w: &mut Writer) {
        w.u8(1)
            .str(&self.ocid)
            .str(&self.tender_id)
            .str(&self.award_id)
            .str(&self.title)
            .str(&self.currency)
            .u8(self.decimals);
    }

    fn decode(r: &mut Reader<'_>) -> FundsResult<Self> {
        if r.u8("source flag")? != 1 {
            return Err(invalid(
                "source flag: 1 (a contract without a source ends at its documents)",
            ));
        }
        let ocid = read_label(r, "ocid")?;
        let tender_id = read_label(r, "OCDS tender id")?;
        let award_id = read_label(r, "OCDS award id")?;
        let title = read_label(r, "title")?;
        let currency = read_label(r, "currency")?;
        let decimals = r.u8("decimals")?;
        if ocid.is_empty() || award_id.is_empty() {
            return Err(invalid("source: an ocid and an award id"));
        }
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("currency: an ISO 4217 code"));
        }
        if decimals > 4 {
            return Err(invalid("decimals: at most 4"));
        }
        Ok(Self {
            ocid,
            tender_id,
            award_id,
            title,
            currency,
            decimals,
        })
    }
}

impl Contract {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.tender)
            .str(&self.winner)
            .u64(self.value)
            .u32(self.awarded_day)
            .u32(self.ends_day)
            .u8(self.documents.len() as u8);
        for d in &self.documents {
            w.fixed(d);
        }
        if let Some(source) = &self.source {
            source.encode(&mut w);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let tender = read_period(&mut r).map_err(|_| invalid("tender: 1-32 of [A-Za-z0-9-.]"))?;
        let winner = read_label(&mut r, "winner")?;
        if winner.is_empty() {
            return Err(invalid("winner: empty"));
        }
        let value = r.u64("value")?;
        let awarded_day = r.u32("award day")?;
        let ends_day = r.u32("end day")?;
        let n = r.u8("documents")? as usize;
        if n > MAX_DOCUMENTS {
            return Err(invalid(format!("at most {MAX_DOCUMENTS} documents")));
        }
        let documents = (0..n)
            .map(|_| r.array::<32>("document digest"))
            .collect::<Result<Vec<_>, _>>()?;
        let source = if r.is_empty() {
            None
        } else {
            Some(ContractSource::decode(&mut r)?)
        };
        r.finish()?;
        if ends_day < awarded_day {
            return Err(invalid("the contract ends before its award"));
        }
        Ok(Self {
            tender,
            winner,
            value,
            awarded_day,
            ends_day,
            documents,
            source,
        })
    }
}

/// The digest a contract logs for one of its documents: the plain
/// SHA3-256 of the file, so anyone recomputes it with any SHA3 tool.
pub fn document_digest(document: &[u8]) -> [u8; 32] {
    Sha3_256::digest(document).into()
}

/// `expenditure`: one hidden line item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expenditure {
    /// Period id.
    pub period: String,
    /// [`item_commitment`](zkaudit_circuits::funds::item_commitment) of the opening, canonical bytes.
    pub commitment: [u8; 32],
    /// Public label (project, payee class…); never the amount.
    pub label: String,
}

impl Expenditure {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.period).fixed(&self.commitment).str(&self.label);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let period = read_period(&mut r)?;
        let commitment = read_field(&mut r, "commitment")?;
        let label = read_label(&mut r, "label")?;
        r.finish()?;
        Ok(Self {
            period,
            commitment,
            label,
        })
    }
}
