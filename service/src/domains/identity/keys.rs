//! Groth16 keys per circuit shape (eligibility, ballots): created
//! (development keys) when a registry or an election needing a new shape
//! appears, logged as `identity/circuit.key`, and verified against the
//! logged key before any claim or ballot is checked.
//!
//! A shape whose keys a ceremony is making is *reserved*: no development
//! key is made or logged for it, so the ceremony's final key becomes its
//! circuit key.
//!
//! Development keys (one party's setup: whoever ran it can forge proofs)
//! are made and used only where the configuration allows them
//! (`[keys] allow_development`, on in development configurations). Without
//! that, a shape gets its key from a ceremony or an import, and claims and
//! ballots under a logged development key are refused.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ark_relations::gr1cs::ConstraintSynthesizer;
use zkaudit_circuits::Fr;
use zkaudit_circuits::eligibility::{EligibilityCircuit, EligibilityShape};
use zkaudit_ledger::identity::{CircuitKey, RegistryBook};
use zkaudit_prover::{KeyCache, Keys};
use zkaudit_verifier::groth16;
use zkaudit_verifier::groth16::PreparedKey;

use crate::server::error::{ApiError, ApiResult};

/// A circuit shape that has its own Groth16 keys.
pub trait KeyedShape: Copy {
    /// The circuit.
    type Circuit: ConstraintSynthesizer<Fr>;
    /// The shape's stable id, e.g. `eligibility-d20-a3`.
    fn id(&self) -> String;
    /// The circuit without assignment, for setup.
    fn blank(&self) -> Self::Circuit;
}

impl KeyedShape for EligibilityShape {
    type Circuit = EligibilityCircuit;
    fn id(&self) -> String {
        EligibilityShape::id(self)
    }
    fn blank(&self) -> EligibilityCircuit {
        EligibilityCircuit::blank(*self)
    }
}

/// Keys on disk, and prepared verifying keys of logged keys, cached.
pub struct ShapeKeys {
    cache: KeyCache,
    local: Mutex<HashMap<String, Arc<Keys>>>,
    logged: Mutex<HashMap<String, Arc<PreparedKey>>>,
    reserved: Mutex<HashSet<String>>,
    allow_development: bool,
}

impl ShapeKeys {
    /// Keys kept in `dir`; development keys made and accepted only if
    /// `allow_development`.
    pub fn new(dir: PathBuf, allow_development: bool) -> Self {
        Self {
            cache: KeyCache::new(dir),
            local: Mutex::default(),
            logged: Mutex::default(),
            reserved: Mutex::default(),
            allow_development,
        }
    }

    /// Reserves `shape_id` for a ceremony: no development key is made for it.
    pub fn reserve(&self, shape_id: &str) -> ApiResult<()> {
        self.reserved
            .lock()
            .map_err(ApiError::internal)?
            .insert(shape_id.to_owned());
        Ok(())
    }

    /// Ends a reservation (the ceremony's key is installed).
    pub fn release(&self, shape_id: &str) -> ApiResult<()> {
        self.reserved
            .lock()
            .map_err(ApiError::internal)?
            .remove(shape_id);
        Ok(())
    }

    /// Whether a ceremony is making `shape_id`'s keys.
    pub fn is_reserved(&self, shape_id: &str) -> ApiResult<bool> {
        Ok(self
            .reserved
            .lock()
            .map_err(ApiError::internal)?
            .contains(shape_id))
    }

    /// Forgets the keys cached in memory for `shape_id` (they were replaced
    /// on disk).
    pub fn forget(&self, shape_id: &str) -> ApiResult<()> {
        self.local
            .lock()
            .map_err(ApiError::internal)?
            .remove(shape_id);
        Ok(())
    }

    /// Whether this service makes and takes development keys (`[keys]
    /// allow_development`).
    pub fn allows_development(&self) -> bool {
        self.allow_development
    }

    /// The key directory.
    pub fn dir(&self) -> &std::path::Path {
        self.cache.dir()
    }

    /// This service's keys for `shape`, made (as development keys) if absent
    /// and the shape is not reserved for a ceremony.
    /// Blocking and, the first time, slow (a Groth16 setup).
    pub fn local(&self, shape: impl KeyedShape) -> ApiResult<Arc<Keys>> {
        let id = shape.id();
        if let Some(keys) = self.local.lock().map_err(ApiError::internal)?.get(&id) {
            return Ok(keys.clone());
        }
        let on_disk = self
            .cache
            .manifest(&id)
            .map_err(ApiError::internal)?
            .is_some();
        if !on_disk && self.is_reserved(&id)? {
            return Err(ApiError::unavailable(format!(
                "a ceremony is making the keys of {id}; they are available once it is finalised"
            )));
        }
        if !on_disk && !self.allow_development {
            return Err(no_key(&id));
        }
        let keys = self
            .cache
            .load_or_create(&id, || shape.blank())
            .map_err(ApiError::internal)?;
        if self.is_development(&id)? {
            tracing::warn!(shape = %id, "using DEVELOPMENT Groth16 keys (single-party setup)");
        }
        let keys = Arc::new(keys);
        self.local
            .lock()
            .map_err(ApiError::internal)?
            .insert(id, keys.clone());
        Ok(keys)
    }

    /// The `circuit.key` payload for this service's keys of `shape`; `None`
    /// while a ceremony is making them (its final key will be logged), and
    /// `None` too when this service has no keys of `shape` but a
    /// development setup, which the configuration refuses.
    pub fn record_payload(&self, shape: impl KeyedShape) -> ApiResult<Option<CircuitKey>> {
        let id = shape.id();
        if self.is_reserved(&id)? {
            return Ok(None);
        }
        if self.is_development(&id)? && !self.allow_development {
            tracing::warn!(
                shape = %id,
                "no Groth16 key for this shape: run a ceremony (`zkaudit ceremony start`) \
                 or import one (`zkaudit keys import-zkey`); development keys are off"
            );
            return Ok(None);
        }
        let keys = self.local(shape)?;
        Ok(Some(CircuitKey {
            shape: shape.id(),
            vk_digest: keys.vk_digest(),
            vk: groth16::encode_vk(&keys.vk),
            development: self.is_development(&shape.id())?,
            ceremony: None,
        }))
    }

    /// Whether the cached keys of `shape_id` are development keys (keys
    /// without a manifest saying otherwise count as such).
    fn is_development(&self, shape_id: &str) -> ApiResult<bool> {
        Ok(self
            .cache
            .manifest(shape_id)
            .map_err(ApiError::internal)?
            .is_none_or(|m| m.development))
    }

    /// The prepared verifying key the log records for `shape`: the
    /// authoritative one, whatever is on this machine's disk.
    pub fn logged(
        &self,
        book: &RegistryBook,
        shape: impl KeyedShape,
    ) -> ApiResult<Arc<PreparedKey>> {
        let id = shape.id();
        if let Some(key) = self.logged.lock().map_err(ApiError::internal)?.get(&id) {
            return Ok(key.clone());
        }
        let (record, _) = book.circuit_key(&id).ok_or_else(|| no_key(&id))?;
        if record.development && !self.allow_development {
            return Err(ApiError::unavailable(format!(
                "the logged key of {id} is a DEVELOPMENT key (one party's setup), which this \
                 service refuses ([keys] allow_development = false)"
            )));
        }
        let vk = groth16::decode_vk(&record.vk).map_err(ApiError::internal)?;
        let prepared = PreparedKey::new(vk).map_err(ApiError::internal)?;
        if prepared.digest() != record.vk_digest {
            return Err(ApiError::internal("logged key does not match its digest"));
        }
        let prepared = Arc::new(prepared);
        self.logged
            .lock()
            .map_err(ApiError::internal)?
            .insert(id, prepared.clone());
        Ok(prepared)
    }

    /// The proving key file of `shape`, for holders to download.
    pub fn proving_key_path(&self, shape: impl KeyedShape) -> ApiResult<PathBuf> {
        self.local(shape)?;
        let [pk, _, _] = self.cache.paths(&shape.id()).map_err(ApiError::internal)?;
        Ok(pk)
    }
}

/// No key is logged for `id` (and none will be made here).
fn no_key(id: &str) -> ApiError {
    ApiError::unavailable(format!(
        "no verifying key is logged yet for {id}: it comes from a ceremony \
         (`zkaudit ceremony start`) or an import (`zkaudit keys import-zkey`)"
    ))
}
