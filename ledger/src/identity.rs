//! The identity domain's records and credential registries.
//!
//! An issuer (an authority) creates a registry with an attribute schema,
//! issues credentials by appending leaves `Poseidon(identity commitment,
//! attributes…)` to the registry's LeanIMT, and revokes by setting a leaf to
//! zero. Every change is a signed log record; after every change the log
//! itself logs the registry's new root (`identity/registry.root`), so a
//! verifier can check that the root a proof uses is genuine.
//!
//! Registries are *derived state*: [`RegistryBook`] replays the identity
//! records in log order, so every process sharing the log — and any offline
//! verifier with the entries — computes the same trees, versions and roots.
//! The accepted-root window (the roots of the last N changes, or of the last
//! T seconds) is how revocation takes effect for proofs.

use std::collections::{BTreeMap, VecDeque};

use ark_ff::{BigInteger, PrimeField};
use ed25519_dalek::VerifyingKey;
use zkaudit_circuits::Fr;
use zkaudit_circuits::eligibility::{EligibilityShape, message_field};
use zkaudit_circuits::lean_imt::{LeanImt, MerkleProof};
use zkaudit_circuits::poseidon::poseidon_hash;
use zkaudit_circuits::predicate::{AttributePredicate, SET_SIZE};

use crate::codec::{CodecError, Reader, Writer};
use crate::land::{self, CredentialChange, TitleBook};
use crate::record::{Author, Record};

/// The domain name.
pub const DOMAIN: &str = "identity";
/// Kind: an issuer creates a registry.
pub const REGISTRY_CREATE: &str = "registry.create";
/// Kind: an issuer appends a credential leaf.
pub const CREDENTIAL_ISSUE: &str = "credential.issue";
/// Kind: an issuer sets a credential leaf to zero.
pub const CREDENTIAL_REVOKE: &str = "credential.revoke";
/// Kind: the log records a registry's root after a change.
pub const REGISTRY_ROOT: &str = "registry.root";
/// Kind: a verifier (e.g. a benefits office) defines a claim scope and its predicates.
pub const SCOPE_CREATE: &str = "scope.create";
/// Kind: the log records a circuit's verifying key and its SHA3-256 digest.
pub const CIRCUIT_KEY: &str = "circuit.key";
/// Kind: a citizen's eligibility claim (authorised by its proof).
pub const CLAIM: &str = "claim";
/// Largest request message a claim binds.
pub const MAX_MESSAGE: usize = 1024;
/// Largest encoded verifying key.
pub const MAX_VK: usize = 4096;

/// Most attributes a credential may carry.
pub const MAX_ATTRIBUTES: usize = 8;
/// Deepest registry tree a circuit may be built for.
pub const MAX_DEPTH: u8 = 32;
const MAX_ID: usize = 64;
const MAX_TEXT: usize = 256;

/// Why an identity record or registry operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field element is not canonical (≥ the BN254 scalar field modulus).
    #[error("{0} is not a canonical BN254 field element")]
    NonCanonicalField(&'static str),
    /// The registry spec is invalid.
    #[error("invalid registry: {0}")]
    InvalidSpec(String),
    /// No registry has this id.
    #[error("unknown registry {0:?}")]
    UnknownRegistry(String),
    /// The registry id is taken.
    #[error("registry {0:?} already exists")]
    RegistryExists(String),
    /// Only the registry's issuer may change it.
    #[error("only the issuer of registry {0:?} may change it")]
    NotIssuer(String),
    /// The credential has the wrong number of attributes.
    #[error("registry {registry:?} takes {expected} attributes, got {got}")]
    AttributeCount {
        /// The registry.
        registry: String,
        /// Attributes in its schema.
        expected: usize,
        /// Attributes given.
        got: usize,
    },
    /// No such leaf, or it is already revoked.
    #[error("registry {registry:?} has no live credential at leaf {index}")]
    NoSuchCredential {
        /// The registry.
        registry: String,
        /// The leaf index.
        index: u64,
    },
    /// The registry is full for its circuit depth.
    #[error("registry {0:?} is full for its tree depth")]
    Full(String),
    /// No scope has this id.
    #[error("unknown scope {0:?}")]
    UnknownScope(String),
    /// The scope id is taken.
    #[error("scope {0:?} already exists")]
    ScopeExists(String),
}

/// Result alias of the identity domain.
pub type IdentityResult<T> = std::result::Result<T, IdentityError>;

/// A field element as 32 big-endian bytes, canonical (< modulus).
pub fn fr_to_bytes(value: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&value.into_bigint().to_bytes_be());
    out
}

/// Parses 32 big-endian bytes into a field element, refusing non-canonical values.
pub fn fr_from_bytes(what: &'static str, bytes: &[u8; 32]) -> IdentityResult<Fr> {
    let value = Fr::from_be_bytes_mod_order(bytes);
    if &fr_to_bytes(&value) == bytes {
        Ok(value)
    } else {
        Err(IdentityError::NonCanonicalField(what))
    }
}

/// Registry and scope ids: 1 to 64 bytes of `[a-z0-9-]`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `registry.create`: a registry and its attribute schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrySpec {
    /// Unique id, `[a-z0-9-]`, e.g. `"national-id"`.
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// Attribute names, in leaf order (1 to 8), e.g. `["birth_date", "region"]`.
    pub attributes: Vec<String>,
    /// Tree depth the eligibility circuit is built for (capacity 2^depth).
    pub depth: u8,
    /// Accepted-root window: roots of this many latest changes…
    pub window_changes: u32,
    /// …or logged within this many seconds of the newest root.
    pub window_secs: u64,
}

impl RegistrySpec {
    /// Checks the spec's rules.
    pub fn validate(&self) -> IdentityResult<()> {
        let bad = |m: &str| Err(IdentityError::InvalidSpec(m.to_owned()));
        if !is_valid_id(&self.id) {
            return bad("id must be 1-64 of [a-z0-9-]");
        }
        if self.title.len() > MAX_TEXT {
            return bad("title too long");
        }
        if self.attributes.is_empty() || self.attributes.len() > MAX_ATTRIBUTES {
            return bad("a registry has 1 to 8 attributes");
        }
        if self
            .attributes
            .iter()
            .any(|a| a.is_empty() || a.len() > MAX_ID)
        {
            return bad("attribute names must be 1-64 bytes");
        }
        if self.depth == 0 || self.depth > MAX_DEPTH {
            return bad("depth must be 1 to 32");
        }
        if self.window_changes == 0 {
            return bad("the root window must accept at least the current root");
        }
        Ok(())
    }

    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.id)
            .str(&self.title)
            .u8(self.attributes.len() as u8);
        for a in &self.attributes {
            w.str(a);
        }
        w.u8(self.depth)
            .u32(self.window_changes)
            .u64(self.window_secs);
        w.finish()
    }

    /// Strict decoding and validation.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let id = r.str("registry id", MAX_ID)?.to_owned();
        let title = r.str("title", MAX_TEXT)?.to_owned();
        let n = r.u8("attribute count")? as usize;
        if n > MAX_ATTRIBUTES {
            return Err(IdentityError::InvalidSpec("too many attributes".into()));
        }
        let attributes = (0..n)
            .map(|_| r.str("attribute name", MAX_ID).map(str::to_owned))
            .collect::<Result<_, _>>()?;
        let spec = Self {
            id,
            title,
            attributes,
            depth: r.u8("depth")?,
            window_changes: r.u32("window changes")?,
            window_secs: r.u64("window seconds")?,
        };
        r.finish()?;
        spec.validate()?;
        Ok(spec)
    }
}

/// `credential.issue`: a credential for an identity commitment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialIssue {
    /// Registry id.
    pub registry: String,
    /// The holder's identity commitment (Semaphore v4), canonical field bytes.
    pub commitment: [u8; 32],
    /// Attribute values, in the registry's schema order.
    pub attributes: Vec<u64>,
}

impl CredentialIssue {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.registry)
            .fixed(&self.commitment)
            .u8(self.attributes.len() as u8);
        for a in &self.attributes {
            w.u64(*a);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let registry = r.str("registry id", MAX_ID)?.to_owned();
        let commitment = r.array("commitment")?;
        fr_from_bytes("commitment", &commitment)?;
        let n = r.u8("attribute count")? as usize;
        if n == 0 || n > MAX_ATTRIBUTES {
            return Err(IdentityError::InvalidSpec("1 to 8 attributes".into()));
        }
        let attributes = (0..n)
            .map(|_| r.u64("attribute"))
            .collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(Self {
            registry,
            commitment,
            attributes,
        })
    }

    /// The credential leaf `Poseidon(commitment, attributes…)`.
    pub fn leaf(&self) -> IdentityResult<Fr> {
        let mut inputs = vec![fr_from_bytes("commitment", &self.commitment)?];
        inputs.extend(self.attributes.iter().map(|a| Fr::from(*a)));
        poseidon_hash(&inputs).map_err(|e| IdentityError::InvalidSpec(e.to_string()))
    }
}

/// `credential.revoke`: sets a leaf to zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRevoke {
    /// Registry id.
    pub registry: String,
    /// Leaf index of the credential.
    pub leaf_index: u64,
}

impl CredentialRevoke {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.registry).u64(self.leaf_index);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            registry: r.str("registry id", MAX_ID)?.to_owned(),
            leaf_index: r.u64("leaf index")?,
        };
        r.finish()?;
        Ok(out)
    }
}

/// `registry.root`: the root of a registry after a change, logged by the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRoot {
    /// Registry id.
    pub registry: String,
    /// Number of changes applied (1 after the first issuance).
    pub version: u64,
    /// Number of leaves.
    pub size: u64,
    /// The LeanIMT root (canonical field bytes).
    pub root: [u8; 32],
    /// Log index of the change that produced this root.
    pub change_index: u64,
}

impl RegistryRoot {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.registry)
            .u64(self.version)
            .u64(self.size)
            .fixed(&self.root)
            .u64(self.change_index);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            registry: r.str("registry id", MAX_ID)?.to_owned(),
            version: r.u64("version")?,
            size: r.u64("size")?,
            root: r.array("root")?,
            change_index: r.u64("change index")?,
        };
        r.finish()?;
        fr_from_bytes("root", &out.root)?;
        Ok(out)
    }
}

/// `scope.create`: a claim scope over one registry, with one predicate per
/// attribute. One identity can claim once per scope (its nullifier).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeSpec {
    /// Unique id, `[a-z0-9-]`, e.g. `"heating-allowance-2027"`.
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// The registry whose credentials are eligible.
    pub registry: String,
    /// One predicate per registry attribute, in schema order.
    pub predicates: Vec<AttributePredicate>,
}

impl ScopeSpec {
    /// The scope as a field element: the value hashed into nullifiers.
    pub fn scope_field(&self) -> Fr {
        scope_field(&self.id)
    }

    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.id).str(&self.title).str(&self.registry);
        write_predicates(&mut w, &self.predicates);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let id = r.str("scope id", MAX_ID)?.to_owned();
        let title = r.str("title", MAX_TEXT)?.to_owned();
        let registry = r.str("registry id", MAX_ID)?.to_owned();
        let predicates = read_predicates(&mut r)?;
        r.finish()?;
        let spec = Self {
            id,
            title,
            registry,
            predicates,
        };
        if !is_valid_id(&spec.id) {
            return Err(IdentityError::InvalidSpec(
                "scope id must be [a-z0-9-]".into(),
            ));
        }
        Ok(spec)
    }
}

/// Writes 1 to 8 predicates: a count, then each `min ‖ max ‖ set flag
/// [‖ 4 set values]`.
pub(crate) fn write_predicates(w: &mut Writer, predicates: &[AttributePredicate]) {
    w.u8(predicates.len() as u8);
    for p in predicates {
        w.u64(p.min).u64(p.max);
        match p.set {
            None => {
                w.u8(0);
            }
            Some(set) => {
                w.u8(1);
                for v in set {
                    w.u64(v);
                }
            }
        }
    }
}

/// Reads what [`write_predicates`] writes, strictly.
pub(crate) fn read_predicates(r: &mut Reader<'_>) -> IdentityResult<Vec<AttributePredicate>> {
    let n = r.u8("predicate count")? as usize;
    if n == 0 || n > MAX_ATTRIBUTES {
        return Err(IdentityError::InvalidSpec("1 to 8 predicates".into()));
    }
    let mut predicates = Vec::with_capacity(n);
    for _ in 0..n {
        let min = r.u64("min")?;
        let max = r.u64("max")?;
        let set = match r.u8("set flag")? {
            0 => None,
            1 => {
                let mut set = [0u64; SET_SIZE];
                for v in &mut set {
                    *v = r.u64("set value")?;
                }
                Some(set)
            }
            other => {
                return Err(CodecError::Invalid {
                    what: "set flag",
                    reason: format!("{other} is not 0 or 1"),
                }
                .into());
            }
        };
        predicates.push(AttributePredicate { min, max, set });
    }
    Ok(predicates)
}

/// The field element of scope `id`: `message_field("zkaudit/v1/scope\0" ‖ id)`.
pub fn scope_field(id: &str) -> Fr {
    let mut bytes = b"zkaudit/v1/scope\0".to_vec();
    bytes.extend_from_slice(id.as_bytes());
    message_field(&bytes)
}

/// The field element a claim's request message binds:
/// `message_field("zkaudit/v1/claim-message\0" ‖ scope id ‖ 0x00 ‖ message)`.
pub fn claim_message_field(scope: &str, message: &[u8]) -> Fr {
    let mut bytes = b"zkaudit/v1/claim-message\0".to_vec();
    bytes.extend_from_slice(scope.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(message);
    message_field(&bytes)
}

/// `circuit.key`: a circuit shape's verifying key, logged so every verifier
/// knows which key is authoritative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitKey {
    /// Shape id, e.g. `"eligibility-d20-a3"`.
    pub shape: String,
    /// SHA3-256 digest of the verifying key (see the verifier crate).
    pub vk_digest: [u8; 32],
    /// The verifying key, compressed canonical arkworks bytes.
    pub vk: Vec<u8>,
    /// Whether these are development keys (a setup whose secrets one party knew).
    pub development: bool,
}

impl CircuitKey {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.shape)
            .fixed(&self.vk_digest)
            .bytes(&self.vk)
            .u8(u8::from(self.development));
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            shape: r.str("shape", MAX_ID)?.to_owned(),
            vk_digest: r.array("vk digest")?,
            vk: r.bytes("verifying key", MAX_VK)?.to_vec(),
            development: match r.u8("development flag")? {
                0 => false,
                1 => true,
                other => {
                    return Err(CodecError::Invalid {
                        what: "development flag",
                        reason: format!("{other} is not 0 or 1"),
                    }
                    .into());
                }
            },
        };
        r.finish()?;
        Ok(out)
    }
}

/// `claim`: a citizen's eligibility claim, authorised by its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The scope claimed.
    pub scope: String,
    /// The registry root the proof is against (canonical field bytes).
    pub root: [u8; 32],
    /// The nullifier `Poseidon(scope, secret)` (canonical field bytes).
    pub nullifier: [u8; 32],
    /// The request the proof is bound to (e.g. a benefit application id).
    pub message: Vec<u8>,
    /// Digest of the verifying key the proof verifies under.
    pub vk_digest: [u8; 32],
    /// The Groth16 proof, compressed (128 bytes).
    pub proof: Vec<u8>,
}

impl Claim {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.scope)
            .fixed(&self.root)
            .fixed(&self.nullifier)
            .bytes(&self.message)
            .fixed(&self.vk_digest)
            .bytes(&self.proof);
        w.finish()
    }

    /// Strict decoding (field elements canonical).
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            scope: r.str("scope id", MAX_ID)?.to_owned(),
            root: r.array("root")?,
            nullifier: r.array("nullifier")?,
            message: r.bytes("message", MAX_MESSAGE)?.to_vec(),
            vk_digest: r.array("vk digest")?,
            proof: r.bytes("proof", 256)?.to_vec(),
        };
        r.finish()?;
        fr_from_bytes("root", &out.root)?;
        fr_from_bytes("nullifier", &out.nullifier)?;
        Ok(out)
    }

    /// The key claimed in the log's uniqueness index: one claim per
    /// (scope, nullifier).
    pub fn unique_key(&self) -> Vec<u8> {
        let mut key = self.scope.clone().into_bytes();
        key.push(0);
        key.extend_from_slice(&self.nullifier);
        key
    }
}

/// A logged root and when it was logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRoot {
    /// Registry version the root belongs to.
    pub version: u64,
    /// The root.
    pub root: Fr,
    /// Log index of the `registry.root` record.
    pub record_index: u64,
    /// When the log wrote it (the record's timestamp), Unix ms.
    pub logged_at_ms: u64,
}

/// One registry's derived state.
#[derive(Clone, Debug)]
pub struct Registry {
    /// Its spec.
    pub spec: RegistrySpec,
    /// The issuer's key (the author of `registry.create`).
    pub issuer: VerifyingKey,
    /// Log index of `registry.create`.
    pub created_at: u64,
    tree: LeanImt,
    version: u64,
    last_change: u64,
    logged_roots: VecDeque<LoggedRoot>,
    root_records: BTreeMap<[u8; 32], u64>,
}

impl Registry {
    /// Log index of the `registry.root` record that vouched for `root`
    /// (canonical bytes), however long ago.
    pub fn root_record(&self, root: &[u8; 32]) -> Option<u64> {
        self.root_records.get(root).copied()
    }

    /// Changes applied so far.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Leaves (issued credentials, revoked ones included as zero).
    pub fn size(&self) -> u64 {
        self.tree.size() as u64
    }

    /// The current root (`None` while empty).
    pub fn root(&self) -> Option<Fr> {
        self.tree.root()
    }

    /// All leaves, in order.
    pub fn leaves(&self) -> &[Fr] {
        self.tree.leaves()
    }

    /// Log index of the latest change.
    pub fn last_change(&self) -> u64 {
        self.last_change
    }

    /// The Merkle path of leaf `index` against the current root.
    pub fn proof(&self, index: u64) -> IdentityResult<MerkleProof> {
        self.tree
            .generate_proof(index as usize)
            .map_err(|_| IdentityError::NoSuchCredential {
                registry: self.spec.id.clone(),
                index,
            })
    }

    /// The latest logged root, if any.
    pub fn latest_logged_root(&self) -> Option<&LoggedRoot> {
        self.logged_roots.back()
    }

    /// Whether the root for the current version has been logged.
    pub fn root_is_logged(&self) -> bool {
        self.logged_roots
            .back()
            .is_some_and(|r| r.version == self.version)
    }

    /// The accepted roots at time `now_ms`: the logged roots of the last
    /// `window_changes` versions, plus any logged within `window_secs` of now.
    pub fn accepted_roots(&self, now_ms: u64) -> Vec<&LoggedRoot> {
        let newest = self.logged_roots.len();
        let by_count = newest.saturating_sub(self.spec.window_changes as usize);
        let horizon = now_ms.saturating_sub(self.spec.window_secs.saturating_mul(1000));
        self.logged_roots
            .iter()
            .enumerate()
            .filter(|(i, r)| *i >= by_count || r.logged_at_ms >= horizon)
            .map(|(_, r)| r)
            .collect()
    }

    /// Whether `root` is in the accepted window at `now_ms`.
    pub fn accepts(&self, root: &Fr, now_ms: u64) -> bool {
        self.accepted_roots(now_ms).iter().any(|r| &r.root == root)
    }
}

/// Every registry, derived by replaying identity records in log order.
#[derive(Clone, Debug)]
pub struct RegistryBook {
    log_key: VerifyingKey,
    registries: BTreeMap<String, Registry>,
    scopes: BTreeMap<String, ScopeSpec>,
    scope_indices: BTreeMap<String, u64>,
    keys: BTreeMap<String, (CircuitKey, u64)>,
    titles: TitleBook,
    applied_up_to: u64,
}

/// How many logged roots each registry remembers (older ones can never be
/// accepted again once the window has moved past them).
const ROOT_HISTORY: usize = 4096;

impl RegistryBook {
    /// An empty book for the log whose record key is `log_key`: only root
    /// records signed by it count.
    pub fn new(log_key: VerifyingKey) -> Self {
        Self {
            log_key,
            registries: BTreeMap::new(),
            scopes: BTreeMap::new(),
            scope_indices: BTreeMap::new(),
            keys: BTreeMap::new(),
            titles: TitleBook::new(),
            applied_up_to: 0,
        }
    }

    /// Log index after the last record applied.
    pub fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    /// A registry by id.
    pub fn get(&self, id: &str) -> Option<&Registry> {
        self.registries.get(id)
    }

    /// All registries, by id.
    pub fn registries(&self) -> impl Iterator<Item = &Registry> {
        self.registries.values()
    }

    /// A scope by id.
    pub fn scope(&self, id: &str) -> Option<&ScopeSpec> {
        self.scopes.get(id)
    }

    /// Log index of the `scope.create` record of scope `id`.
    pub fn scope_index(&self, id: &str) -> Option<u64> {
        self.scope_indices.get(id).copied()
    }

    /// All scopes, by id.
    pub fn scopes(&self) -> impl Iterator<Item = &ScopeSpec> {
        self.scopes.values()
    }

    /// The first logged verifying key of `shape` and the index of its record.
    pub fn circuit_key(&self, shape: &str) -> Option<&(CircuitKey, u64)> {
        self.keys.get(shape)
    }

    /// The eligibility circuit shape proofs for `registry` use.
    pub fn shape_of(&self, registry: &Registry) -> IdentityResult<EligibilityShape> {
        EligibilityShape::new(registry.spec.depth as usize, registry.spec.attributes.len())
            .map_err(|e| IdentityError::InvalidSpec(e.to_string()))
    }

    /// Checks, without applying, that an authority-signed change is valid
    /// against the current state. Returns the registry id it changes.
    pub fn check(&self, record: &Record) -> IdentityResult<String> {
        let Author::Ed25519(author) = record.author() else {
            return Err(IdentityError::InvalidSpec(
                "identity changes are signed".into(),
            ));
        };
        match record.kind() {
            REGISTRY_CREATE => {
                let spec = RegistrySpec::decode(record.payload())?;
                if self.registries.contains_key(&spec.id) {
                    return Err(IdentityError::RegistryExists(spec.id));
                }
                Ok(spec.id)
            }
            SCOPE_CREATE => {
                let scope = ScopeSpec::decode(record.payload())?;
                if self.scopes.contains_key(&scope.id) {
                    return Err(IdentityError::ScopeExists(scope.id));
                }
                let registry = self
                    .registries
                    .get(&scope.registry)
                    .ok_or_else(|| IdentityError::UnknownRegistry(scope.registry.clone()))?;
                if scope.predicates.len() != registry.spec.attributes.len() {
                    return Err(IdentityError::AttributeCount {
                        registry: scope.registry,
                        expected: registry.spec.attributes.len(),
                        got: scope.predicates.len(),
                    });
                }
                Ok(scope.registry)
            }
            CREDENTIAL_ISSUE => {
                let issue = CredentialIssue::decode(record.payload())?;
                let registry = self.issuer_registry(&issue.registry, &author)?;
                if issue.attributes.len() != registry.spec.attributes.len() {
                    return Err(IdentityError::AttributeCount {
                        registry: issue.registry,
                        expected: registry.spec.attributes.len(),
                        got: issue.attributes.len(),
                    });
                }
                if registry.size() >= 1u64 << registry.spec.depth {
                    return Err(IdentityError::Full(issue.registry));
                }
                Ok(issue.registry)
            }
            CREDENTIAL_REVOKE => {
                let revoke = CredentialRevoke::decode(record.payload())?;
                let registry = self.issuer_registry(&revoke.registry, &author)?;
                let live = registry
                    .leaves()
                    .get(revoke.leaf_index as usize)
                    .is_some_and(|leaf| *leaf != Fr::from(0u64));
                if !live {
                    return Err(IdentityError::NoSuchCredential {
                        registry: revoke.registry,
                        index: revoke.leaf_index,
                    });
                }
                Ok(revoke.registry)
            }
            other => Err(IdentityError::InvalidSpec(format!(
                "{other} is not a registry change"
            ))),
        }
    }

    fn issuer_registry(&self, id: &str, author: &VerifyingKey) -> IdentityResult<&Registry> {
        let registry = self
            .registries
            .get(id)
            .ok_or_else(|| IdentityError::UnknownRegistry(id.to_owned()))?;
        if &registry.issuer != author {
            return Err(IdentityError::NotIssuer(id.to_owned()));
        }
        Ok(registry)
    }

    /// Land titles: replayed here because land records change title
    /// registries (see [`land`]), so both change together or not at all.
    pub fn titles(&self) -> &TitleBook {
        &self.titles
    }

    /// Checks that the title-credential change a land record makes is valid
    /// against the registries: the record's author issues the registry, the
    /// schema fits, and a revoked leaf is the seller's live credential.
    pub fn check_title_change(
        &self,
        record: &Record,
        change: &CredentialChange,
    ) -> IdentityResult<()> {
        let Author::Ed25519(author) = record.author() else {
            return Err(IdentityError::InvalidSpec("land records are signed".into()));
        };
        let registry = self.issuer_registry(&change.issue.registry, &author)?;
        if change.issue.attributes.len() != registry.spec.attributes.len() {
            return Err(IdentityError::AttributeCount {
                registry: change.issue.registry.clone(),
                expected: registry.spec.attributes.len(),
                got: change.issue.attributes.len(),
            });
        }
        if registry.size() >= 1u64 << registry.spec.depth {
            return Err(IdentityError::Full(change.issue.registry.clone()));
        }
        if let Some((revoke, seller)) = &change.revoke {
            let live = registry.leaves().get(revoke.leaf_index as usize);
            if revoke.registry != change.issue.registry
                || live.is_none_or(|leaf| *leaf == Fr::from(0u64) || Ok(*leaf) != seller.leaf())
            {
                return Err(IdentityError::NoSuchCredential {
                    registry: revoke.registry.clone(),
                    index: revoke.leaf_index,
                });
            }
        }
        Ok(())
    }

    /// A land record changes its title and the title registry together:
    /// both apply, or (invalid when logged) neither does.
    fn apply_land(&mut self, index: u64, record: &Record) {
        if let Ok(checked) = self.titles.check(record)
            && let Some(change) = self.titles.credential_change(&checked)
        {
            if self.check_title_change(record, &change).is_err() {
                return;
            }
            let Ok(leaf) = change.issue.leaf() else {
                return;
            };
            let Some(registry) = self.registries.get_mut(&change.issue.registry) else {
                return;
            };
            if let Some((revoke, _)) = change.revoke {
                let _ = registry.tree.revoke(revoke.leaf_index as usize);
            }
            registry.tree.insert(leaf);
            registry.version += 1;
            registry.last_change = index;
        }
        self.titles.apply(index, record);
    }

    /// Applies the logged identity (or land) record at `index`. Records must be applied
    /// in log order; changes that were invalid when logged (a race the log
    /// could not see) are skipped, identically by every replayer.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        if record.domain() == land::DOMAIN {
            return self.apply_land(index, record);
        }
        if record.domain() != DOMAIN {
            return;
        }
        match record.kind() {
            REGISTRY_ROOT => return self.apply_root(index, record),
            CIRCUIT_KEY => return self.apply_key(index, record),
            CLAIM => return,
            _ => {}
        }
        let Ok(id) = self.check(record) else { return };
        let Author::Ed25519(author) = record.author() else {
            return;
        };
        match record.kind() {
            REGISTRY_CREATE => {
                if let Ok(spec) = RegistrySpec::decode(record.payload()) {
                    self.registries.insert(
                        id,
                        Registry {
                            spec,
                            issuer: author,
                            created_at: index,
                            tree: LeanImt::new(),
                            version: 0,
                            last_change: index,
                            logged_roots: VecDeque::new(),
                            root_records: BTreeMap::new(),
                        },
                    );
                }
            }
            SCOPE_CREATE => {
                if let Ok(scope) = ScopeSpec::decode(record.payload()) {
                    self.scope_indices.insert(scope.id.clone(), index);
                    self.scopes.insert(scope.id.clone(), scope);
                }
            }
            CREDENTIAL_ISSUE => {
                let Ok(issue) = CredentialIssue::decode(record.payload()) else {
                    return;
                };
                let Ok(leaf) = issue.leaf() else { return };
                if let Some(registry) = self.registries.get_mut(&id) {
                    registry.tree.insert(leaf);
                    registry.version += 1;
                    registry.last_change = index;
                }
            }
            CREDENTIAL_REVOKE => {
                let Ok(revoke) = CredentialRevoke::decode(record.payload()) else {
                    return;
                };
                if let Some(registry) = self.registries.get_mut(&id)
                    && registry.tree.revoke(revoke.leaf_index as usize).is_ok()
                {
                    registry.version += 1;
                    registry.last_change = index;
                }
            }
            _ => {}
        }
    }

    /// The first key the log records for a shape is the authoritative one.
    fn apply_key(&mut self, index: u64, record: &Record) {
        if record.author() != Author::Ed25519(self.log_key) {
            return;
        }
        if let Ok(key) = CircuitKey::decode(record.payload()) {
            self.keys.entry(key.shape.clone()).or_insert((key, index));
        }
    }

    /// A root record is accepted only if it matches the replayed state: the
    /// log cannot vouch for a root the changes don't produce.
    fn apply_root(&mut self, index: u64, record: &Record) {
        if record.author() != Author::Ed25519(self.log_key) {
            return;
        }
        let Ok(logged) = RegistryRoot::decode(record.payload()) else {
            return;
        };
        let Some(registry) = self.registries.get_mut(&logged.registry) else {
            return;
        };
        let matches = logged.version == registry.version
            && logged.size == registry.size()
            && registry.root().map(|r| fr_to_bytes(&r)) == Some(logged.root);
        let newer = registry
            .logged_roots
            .back()
            .is_none_or(|r| r.version < logged.version);
        if matches && newer {
            registry.root_records.insert(logged.root, index);
            registry.logged_roots.push_back(LoggedRoot {
                version: logged.version,
                root: registry.root().expect("matched a root"),
                record_index: index,
                logged_at_ms: record.timestamp_ms(),
            });
            if registry.logged_roots.len() > ROOT_HISTORY {
                registry.logged_roots.pop_front();
            }
        }
    }

    /// The `registry.root` payloads the log owes: one per registry whose
    /// current version's root has not been logged yet.
    pub fn pending_roots(&self) -> Vec<RegistryRoot> {
        self.registries
            .values()
            .filter(|r| r.version > 0 && !r.root_is_logged())
            .filter_map(|r| {
                Some(RegistryRoot {
                    registry: r.spec.id.clone(),
                    version: r.version,
                    size: r.size(),
                    root: fr_to_bytes(&r.root()?),
                    change_index: r.last_change,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    fn key(seed: u64) -> SigningKey {
        SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    fn spec() -> RegistrySpec {
        RegistrySpec {
            id: "national-id".into(),
            title: "National ID".into(),
            attributes: vec!["birth_date".into(), "region".into()],
            depth: 20,
            window_changes: 2,
            window_secs: 0,
        }
    }

    fn signed(kind: &str, payload: Vec<u8>, k: &SigningKey, t: u64) -> Record {
        Record::signed(DOMAIN, kind, t, payload, k).unwrap()
    }

    fn issue(commitment: u64, attrs: Vec<u64>) -> Vec<u8> {
        CredentialIssue {
            registry: "national-id".into(),
            commitment: fr_to_bytes(&Fr::from(commitment)),
            attributes: attrs,
        }
        .encode()
    }

    /// Applies `records` as if logged at consecutive indices, logging roots
    /// the way the service does.
    fn replay(book: &mut RegistryBook, records: &[Record], log: &SigningKey) {
        for record in records {
            let index = book.applied_up_to();
            book.apply(index, record);
            for root in book.pending_roots() {
                let index = book.applied_up_to();
                book.apply(
                    index,
                    &signed(REGISTRY_ROOT, root.encode(), log, 1_000 + index),
                );
            }
        }
    }

    #[test]
    fn payloads_round_trip_strictly() {
        let s = spec();
        assert_eq!(RegistrySpec::decode(&s.encode()).unwrap(), s);
        let i = CredentialIssue::decode(&issue(5, vec![1, 2])).unwrap();
        assert_eq!(i.encode(), issue(5, vec![1, 2]));
        let mut trailing = s.encode();
        trailing.push(0);
        assert!(RegistrySpec::decode(&trailing).is_err());
        let mut bad = issue(5, vec![1, 2]);
        bad[2 + 11..2 + 11 + 32].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            CredentialIssue::decode(&bad),
            Err(IdentityError::NonCanonicalField("commitment"))
        );
    }

    #[test]
    fn registry_lifecycle_and_root_window() {
        let issuer = key(1);
        let log = key(9);
        let mut book = RegistryBook::new(log.verifying_key());
        replay(
            &mut book,
            &[
                signed(REGISTRY_CREATE, spec().encode(), &issuer, 0),
                signed(CREDENTIAL_ISSUE, issue(11, vec![19_900_101, 7]), &issuer, 1),
            ],
            &log,
        );
        let reg = book.get("national-id").unwrap();
        let first_root = reg.root().unwrap();
        assert_eq!(reg.version(), 1);
        assert!(reg.root_is_logged());
        assert!(reg.accepts(&first_root, 10_000));

        // A second credential and a revocation: two more changes.
        replay(
            &mut book,
            &[
                signed(CREDENTIAL_ISSUE, issue(12, vec![20_100_101, 7]), &issuer, 2),
                signed(
                    CREDENTIAL_REVOKE,
                    CredentialRevoke {
                        registry: "national-id".into(),
                        leaf_index: 0,
                    }
                    .encode(),
                    &issuer,
                    3,
                ),
            ],
            &log,
        );
        let reg = book.get("national-id").unwrap();
        assert_eq!(reg.version(), 3);
        assert_eq!(reg.leaves()[0], Fr::from(0u64));
        // Window of 2 changes: the first root is no longer accepted.
        assert!(!reg.accepts(&first_root, 10_000));
        assert!(reg.accepts(&reg.root().unwrap(), 10_000));
        // The leaf matches Poseidon(commitment, attributes).
        let expected =
            poseidon_hash(&[Fr::from(12u64), Fr::from(20_100_101u64), Fr::from(7u64)]).unwrap();
        assert_eq!(reg.leaves()[1], expected);
    }

    #[test]
    fn invalid_changes_are_refused_and_skipped() {
        let issuer = key(1);
        let other = key(2);
        let log = key(9);
        let mut book = RegistryBook::new(log.verifying_key());
        replay(
            &mut book,
            &[signed(REGISTRY_CREATE, spec().encode(), &issuer, 0)],
            &log,
        );
        let by_other = signed(CREDENTIAL_ISSUE, issue(1, vec![1, 2]), &other, 1);
        assert_eq!(
            book.check(&by_other),
            Err(IdentityError::NotIssuer("national-id".into()))
        );
        let wrong_count = signed(CREDENTIAL_ISSUE, issue(1, vec![1]), &issuer, 1);
        assert!(matches!(
            book.check(&wrong_count),
            Err(IdentityError::AttributeCount { .. })
        ));
        let again = signed(REGISTRY_CREATE, spec().encode(), &issuer, 5);
        assert!(matches!(
            book.check(&again),
            Err(IdentityError::RegistryExists(_))
        ));
        let revoke_nothing = signed(
            CREDENTIAL_REVOKE,
            CredentialRevoke {
                registry: "national-id".into(),
                leaf_index: 0,
            }
            .encode(),
            &issuer,
            6,
        );
        assert!(matches!(
            book.check(&revoke_nothing),
            Err(IdentityError::NoSuchCredential { .. })
        ));
        // Replaying refused changes changes nothing.
        replay(
            &mut book,
            &[by_other, wrong_count, again, revoke_nothing],
            &log,
        );
        assert_eq!(book.get("national-id").unwrap().version(), 0);
    }

    #[test]
    fn a_root_record_that_does_not_match_the_changes_is_ignored() {
        let issuer = key(1);
        let log = key(9);
        let mut book = RegistryBook::new(log.verifying_key());
        book.apply(0, &signed(REGISTRY_CREATE, spec().encode(), &issuer, 0));
        book.apply(
            1,
            &signed(CREDENTIAL_ISSUE, issue(11, vec![1, 2]), &issuer, 1),
        );
        // The right root, but signed by the issuer instead of the log.
        let root = book.pending_roots().pop().unwrap();
        book.apply(2, &signed(REGISTRY_ROOT, root.encode(), &issuer, 2));
        assert!(!book.get("national-id").unwrap().root_is_logged());
        let forged = RegistryRoot {
            registry: "national-id".into(),
            version: 1,
            size: 1,
            root: fr_to_bytes(&Fr::from(42u64)),
            change_index: 1,
        };
        book.apply(3, &signed(REGISTRY_ROOT, forged.encode(), &log, 3));
        let reg = book.get("national-id").unwrap();
        assert!(!reg.root_is_logged());
        assert!(!reg.accepts(&Fr::from(42u64), 0));
        assert_eq!(book.pending_roots().len(), 1);
    }

    #[test]
    fn scopes_keys_and_claims() {
        let issuer = key(1);
        let office = key(3);
        let log = key(9);
        let mut book = RegistryBook::new(log.verifying_key());
        replay(
            &mut book,
            &[signed(REGISTRY_CREATE, spec().encode(), &issuer, 0)],
            &log,
        );
        let scope = ScopeSpec {
            id: "heating-2027".into(),
            title: "Heating allowance".into(),
            registry: "national-id".into(),
            predicates: vec![
                AttributePredicate::at_most(20_080_101),
                AttributePredicate::one_of(&[7, 8]).unwrap(),
            ],
        };
        assert_eq!(ScopeSpec::decode(&scope.encode()).unwrap(), scope);
        let record = signed(SCOPE_CREATE, scope.encode(), &office, 1);
        assert_eq!(book.check(&record), Ok("national-id".into()));
        replay(&mut book, std::slice::from_ref(&record), &log);
        assert_eq!(book.scope("heating-2027"), Some(&scope));
        assert!(matches!(
            book.check(&record),
            Err(IdentityError::ScopeExists(_))
        ));
        let mut short = scope.clone();
        short.id = "other".into();
        short.predicates.pop();
        assert!(matches!(
            book.check(&signed(SCOPE_CREATE, short.encode(), &office, 2)),
            Err(IdentityError::AttributeCount { .. })
        ));
        assert_ne!(scope.scope_field(), scope_field("heating-2028"));
        assert_ne!(
            claim_message_field("heating-2027", b"application 1"),
            claim_message_field("heating-2027", b"application 2")
        );

        // Keys: only the log's first record per shape counts.
        let k = CircuitKey {
            shape: "eligibility-d20-a2".into(),
            vk_digest: [1; 32],
            vk: vec![2; 100],
            development: true,
        };
        assert_eq!(CircuitKey::decode(&k.encode()).unwrap(), k);
        let forged = CircuitKey {
            vk_digest: [9; 32],
            ..k.clone()
        };
        book.apply(10, &signed(CIRCUIT_KEY, forged.encode(), &issuer, 10));
        assert!(book.circuit_key(&k.shape).is_none());
        book.apply(11, &signed(CIRCUIT_KEY, k.encode(), &log, 11));
        book.apply(12, &signed(CIRCUIT_KEY, forged.encode(), &log, 12));
        assert_eq!(book.circuit_key(&k.shape), Some(&(k, 11)));

        // Claims decode strictly.
        let claim = Claim {
            scope: "heating-2027".into(),
            root: fr_to_bytes(&Fr::from(5u64)),
            nullifier: fr_to_bytes(&Fr::from(6u64)),
            message: b"application 1".to_vec(),
            vk_digest: [1; 32],
            proof: vec![0; 128],
        };
        assert_eq!(Claim::decode(&claim.encode()).unwrap(), claim);
        let mut bad = claim.clone();
        bad.nullifier = [0xff; 32];
        assert_eq!(
            Claim::decode(&bad.encode()),
            Err(IdentityError::NonCanonicalField("nullifier"))
        );
    }
}
