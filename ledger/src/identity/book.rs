//! The registries derived by replaying identity records: each registry's
//! tree, versions and logged roots, the scopes and the circuit keys.

use std::collections::{BTreeMap, VecDeque};

use ed25519_dalek::VerifyingKey;
use zkaudit_circuits::Fr;
use zkaudit_circuits::eligibility::EligibilityShape;
use zkaudit_circuits::lean_imt::{LeanImt, MerkleProof};

use super::records::{
    CircuitKey, Claim, CredentialIssue, CredentialRevoke, ROOT_HISTORY, RegistryRoot, RegistrySpec,
    ScopeSpec,
};
use super::{
    CIRCUIT_KEY, CLAIM, CREDENTIAL_ISSUE, CREDENTIAL_REVOKE, DOMAIN, IdentityError, IdentityResult,
    REGISTRY_CREATE, REGISTRY_ROOT, SCOPE_CREATE,
};
use crate::codec::fr_to_bytes;
use crate::record::{Author, Record};
use crate::replay::Book;

/// The registry change a record of another domain makes (e.g. a land title
/// registration or transfer): issue a credential, and first revoke the one
/// it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialChange {
    /// The leaf to revoke and the credential it must hold (the replaced holder's).
    pub revoke: Option<(CredentialRevoke, CredentialIssue)>,
    /// The leaf to issue.
    pub issue: CredentialIssue,
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

    /// The registry's latest logged roots (at most [`ROOT_HISTORY`]), in
    /// log order.
    pub fn logged_roots(&self) -> impl Iterator<Item = &LoggedRoot> {
        self.logged_roots.iter()
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
        self.logged_roots
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                self.spec
                    .root_in_window(newest - 1 - i, r.logged_at_ms, now_ms)
            })
            .map(|(_, r)| r)
            .collect()
    }

    /// Whether `root` is in the accepted window at `now_ms`.
    pub fn accepts(&self, root: &Fr, now_ms: u64) -> bool {
        self.accepted_roots(now_ms).iter().any(|r| &r.root == root)
    }
}

/// Every registry, derived by replaying identity records in log order.
///
/// Credentials that other domains' records issue into a registry (land
/// titles) come in through [`apply_credential_change`]: replay the log with
/// whoever applies them too (see [`crate::registries`]), or those
/// registries' trees stay behind.
///
/// [`apply_credential_change`]: RegistryBook::apply_credential_change
#[derive(Clone, Debug)]
pub struct RegistryBook {
    log_key: VerifyingKey,
    registries: BTreeMap<String, Registry>,
    scopes: BTreeMap<String, ScopeSpec>,
    scope_indices: BTreeMap<String, u64>,
    keys: BTreeMap<String, (CircuitKey, u64)>,
    /// Claims logged per scope (each admitted with its proof verified and
    /// its nullifier unused; the book only counts them).
    claims: BTreeMap<String, u64>,
    applied_up_to: u64,
}

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
            claims: BTreeMap::new(),
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

    /// How many claims the log holds for scope `id`.
    pub fn claims_in(&self, id: &str) -> u64 {
        self.claims.get(id).copied().unwrap_or(0)
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

    /// Checks that `shape`'s logged circuit key has `digest` and is not a
    /// development key (what a scope or an election naming its key needs).
    ///
    /// # Errors
    ///
    /// [`IdentityError::KeyNotLogged`] otherwise.
    pub fn check_named_key(&self, shape: &str, digest: &[u8; 32]) -> IdentityResult<()> {
        match self.circuit_key(shape) {
            Some((key, _)) if key.vk_digest == *digest && !key.development => Ok(()),
            _ => Err(IdentityError::KeyNotLogged {
                shape: shape.to_owned(),
            }),
        }
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
                if let Some(digest) = &scope.circuit_key {
                    self.check_named_key(
                        &eligibility_shape(registry.spec.depth, scope.predicates.len()),
                        digest,
                    )?;
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

    /// Checks that `change`, the credential change a record of another
    /// domain signed by `author` makes (e.g. a land title transfer), is valid
    /// against the registries: `author` issues the registry, the schema
    /// fits, and a revoked leaf is the replaced holder's live credential.
    pub fn check_credential_change(
        &self,
        author: &VerifyingKey,
        change: &CredentialChange,
    ) -> IdentityResult<()> {
        let registry = self.issuer_registry(&change.issue.registry, author)?;
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

    /// Applies `change`, made by the record logged at `index` and signed by
    /// `author`, as one registry change: the revocation (if any) and the
    /// issuance together, or — if [`check_credential_change`] refuses it —
    /// nothing. The caller applies its own record's other effects only on
    /// `Ok`, so both change together or not at all.
    ///
    /// [`check_credential_change`]: Self::check_credential_change
    pub fn apply_credential_change(
        &mut self,
        index: u64,
        author: &VerifyingKey,
        change: &CredentialChange,
    ) -> IdentityResult<()> {
        self.check_credential_change(author, change)?;
        let leaf = change.issue.leaf()?;
        let registry = self
            .registries
            .get_mut(&change.issue.registry)
            .ok_or_else(|| IdentityError::UnknownRegistry(change.issue.registry.clone()))?;
        if let Some((revoke, _)) = &change.revoke {
            let _ = registry.tree.revoke(revoke.leaf_index as usize);
        }
        registry.tree.insert(leaf);
        registry.version += 1;
        registry.last_change = index;
        Ok(())
    }

    /// Counts a logged claim under its scope (the service admitted it:
    /// proof, root window and nullifier were checked before logging).
    fn count_claim(&mut self, record: &Record) {
        if let Ok(claim) = Claim::decode(record.payload())
            && self.scopes.contains_key(&claim.scope)
        {
            *self.claims.entry(claim.scope).or_default() += 1;
        }
    }

    /// Applies the logged identity record at `index` (records of other
    /// domains only move [`applied_up_to`](Self::applied_up_to)). Records
    /// must be applied in log order; changes that were invalid when logged
    /// (a race the log could not see) are skipped, identically by every
    /// replayer.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        if record.domain() != DOMAIN {
            return;
        }
        match record.kind() {
            REGISTRY_ROOT => return self.apply_root(index, record),
            CIRCUIT_KEY => return self.apply_key(index, record),
            CLAIM => return self.count_claim(record),
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

impl Book for RegistryBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        RegistryBook::apply(self, index, record);
    }
}

/// The id of the eligibility shape over a registry of `depth` with
/// `attributes` attributes (as the circuits crate names it).
pub fn eligibility_shape(depth: u8, attributes: usize) -> String {
    format!("eligibility-d{depth}-a{attributes}")
}
