//! The identity payloads and their canonical codecs: registries and their
//! changes, logged roots, claim scopes, circuit keys and claims.

use zkaudit_circuits::Fr;
use zkaudit_circuits::eligibility::message_field;
use zkaudit_circuits::poseidon::poseidon_hash;
use zkaudit_circuits::predicate::AttributePredicate;

use super::{
    IdentityError, IdentityResult, MAX_ATTRIBUTES, MAX_DEPTH, MAX_MESSAGE, MAX_TEXT, MAX_VK,
};
use crate::codec::{
    MAX_ID, Reader, Writer, fr_from_bytes, is_valid_id, read_predicates, write_predicates,
};

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

/// How many of a registry's latest logged roots can be accepted at all
/// (older ones never again, whatever the window says): the registry book
/// remembers no more.
pub const ROOT_HISTORY: usize = 4096;

impl RegistrySpec {
    /// Whether a root of this registry is in its accepted window at
    /// `now_ms`, given when the log logged it and how many of the
    /// registry's roots the log logged after it: it is one of the last
    /// [`window_changes`](Self::window_changes) logged, or it was logged
    /// at most [`window_secs`](Self::window_secs) before now; and in either
    /// case it is one of the last [`ROOT_HISTORY`] logged.
    ///
    /// The one rule for the service, which judges a proof's root by it
    /// when admitting a ballot or a claim, and for the offline verifier,
    /// which judges logged ballots by it.
    pub fn root_in_window(&self, logged_after: usize, logged_at_ms: u64, now_ms: u64) -> bool {
        let horizon = now_ms.saturating_sub(self.window_secs.saturating_mul(1000));
        logged_after < ROOT_HISTORY
            && (logged_after < self.window_changes as usize || logged_at_ms >= horizon)
    }

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
    /// The verifying-key digest (SHA3-256) its claims prove under, if the
    /// scope names its key: the shape's circuit key must be logged with it,
    /// and not as a development key, before the scope is. (Encoded only
    /// when present, so earlier scopes keep their bytes.)
    pub circuit_key: Option<[u8; 32]>,
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
        if let Some(digest) = &self.circuit_key {
            w.fixed(digest);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let id = r.str("scope id", MAX_ID)?.to_owned();
        let title = r.str("title", MAX_TEXT)?.to_owned();
        let registry = r.str("registry id", MAX_ID)?.to_owned();
        let predicates = read_predicates(&mut r)?;
        let circuit_key = if r.is_empty() {
            None
        } else {
            Some(r.array("circuit key digest")?)
        };
        r.finish()?;
        let spec = Self {
            id,
            title,
            registry,
            predicates,
            circuit_key,
        };
        if !is_valid_id(&spec.id) {
            return Err(IdentityError::InvalidSpec(
                "scope id must be [a-z0-9-]".into(),
            ));
        }
        Ok(spec)
    }
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

/// The ceremony a circuit key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyCeremony {
    /// The ceremony's id (its `ceremony/start` record).
    pub id: String,
    /// How many contributors took part (the beacon not counted): the key
    /// is sound if any one of them was honest.
    pub contributions: u32,
    /// SHA3-256 of the final `.zkey`.
    pub final_key: [u8; 32],
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
    /// The ceremony on this log that made the key, if one did. (Encoded
    /// only when present, so records logged before ceremonies existed keep
    /// their bytes.)
    pub ceremony: Option<KeyCeremony>,
}

impl CircuitKey {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.shape)
            .fixed(&self.vk_digest)
            .bytes(&self.vk)
            .u8(u8::from(self.development));
        if let Some(c) = &self.ceremony {
            w.u8(1).str(&c.id).u32(c.contributions).fixed(&c.final_key);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> IdentityResult<Self> {
        let mut r = Reader::new(bytes);
        let mut out = Self {
            shape: r.str("shape", MAX_ID)?.to_owned(),
            vk_digest: r.array("vk digest")?,
            vk: r.bytes("verifying key", MAX_VK)?.to_vec(),
            development: r.flag("development flag")?,
            ceremony: None,
        };
        if !r.is_empty() {
            if r.u8("ceremony flag")? != 1 {
                return Err(IdentityError::InvalidSpec(
                    "a circuit key's ceremony flag is 1 when present".into(),
                ));
            }
            out.ceremony = Some(KeyCeremony {
                id: r.str("ceremony id", MAX_ID)?.to_owned(),
                contributions: r.u32("contribution count")?,
                final_key: r.array("final key digest")?,
            });
            if out.development {
                return Err(IdentityError::InvalidSpec(
                    "a ceremony's key is not a development key".into(),
                ));
            }
        }
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
