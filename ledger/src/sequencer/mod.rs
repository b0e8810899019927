//! The sequencer: integrates batches of records into the log, durably.
//!
//! For each batch, in **one** storage write transaction, it catches up with
//! entries other processes appended, answers resubmissions with their
//! existing index, refuses entries whose unique keys are taken, appends the
//! rest at consecutive indices, signs a checkpoint of the new tree and
//! commits. Only after the commit returns — everything fsynced — does any
//! caller learn its index. A failed batch leaves neither the store nor the
//! in-memory tree changed.
//!
//! The tree lives in bounded memory (module [`tree`]): the frontier in
//! memory, every complete tile in the store, written in the same
//! transaction as the entries that complete it. Opening a log reads the
//! frontier (a few hundred hashes, whatever the log's size) and checks its
//! root against the latest signed checkpoint, so a store whose recent
//! entries were altered behind the log's back is refused; `zkaudit fsck`
//! checks every entry and every stored tile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::merkle::{self, Frontier, Hash, SubtreeHashes, TreeNode};
use crate::note::{Checkpoint, NoteSigningKey, sign_checkpoint};
use crate::record::Record;
use crate::store::{LogRead, Store, StoreError, StoredCheckpoint, StoredEntry, UniqueKey, read_in};

mod tree;

use tree::{StoredTree, read_frontier};
pub use tree::{TreeError, TreeView};

/// Errors of the sequencer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SequencerError {
    /// The store failed; nothing of the batch was committed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored log does not match its own signed checkpoints.
    #[error("stored log is inconsistent with its checkpoints: {0}")]
    Inconsistent(String),
    /// Signing the checkpoint failed.
    #[error("could not sign checkpoint: {0}")]
    Signing(String),
}

impl SequencerError {
    /// The passing storage fault behind this error, if it is one: the
    /// batch was refused because the store cannot persist right now.
    pub fn fault(&self) -> Option<crate::store::StorageFault> {
        match self {
            Self::Store(e) => e.fault(),
            _ => None,
        }
    }
}

/// Result alias of the sequencer.
pub type SequencerResult<T> = std::result::Result<T, SequencerError>;

/// A record waiting to be integrated, with what the domain rules derived
/// from it: uniqueness claims and secondary-index topics.
#[derive(Clone, Debug)]
pub struct Pending {
    leaf: Vec<u8>,
    record_id: [u8; 32],
    unique_keys: Vec<UniqueKey>,
    topics: Vec<Vec<u8>>,
}

impl Pending {
    /// Wraps a checked record.
    pub fn new(record: &Record) -> Self {
        Self {
            leaf: record.encode(),
            record_id: record.id(),
            unique_keys: Vec::new(),
            topics: Vec::new(),
        }
    }

    /// Claims `(namespace, key)`: the entry is refused if another holds it.
    pub fn unique(mut self, namespace: &str, key: impl Into<Vec<u8>>) -> Self {
        let key = UniqueKey {
            namespace: namespace.to_owned(),
            key: key.into(),
        };
        if !self.unique_keys.contains(&key) {
            self.unique_keys.push(key);
        }
        self
    }

    /// Files the entry under `topic`.
    pub fn topic(mut self, topic: impl Into<Vec<u8>>) -> Self {
        let topic = topic.into();
        if !self.topics.contains(&topic) {
            self.topics.push(topic);
        }
        self
    }

    /// The record id.
    pub fn record_id(&self) -> &[u8; 32] {
        &self.record_id
    }
}

/// What happened to one pending record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Logged at this index.
    Appended(u64),
    /// The identical record was already logged at this index.
    Duplicate(u64),
    /// A unique key is already held by the entry at `holder`.
    Conflict {
        /// The contested key.
        key: UniqueKey,
        /// Index of the entry holding it.
        holder: u64,
    },
}

/// The result of integrating one batch.
#[derive(Clone, Debug)]
pub struct Integrated {
    /// One outcome per pending record, in order.
    pub outcomes: Vec<Outcome>,
    /// The signed checkpoint covering every appended entry.
    pub checkpoint: StoredCheckpoint,
}

/// The log's sequencer and its tree. Share it behind an `Arc`.
pub struct Sequencer {
    store: Arc<dyn Store>,
    key: NoteSigningKey,
    origin: String,
    tree: StoredTree,
    latest: RwLock<StoredCheckpoint>,
    /// Serialises integration and catch-up within this process.
    writer: Mutex<()>,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("origin", &self.origin)
            .field("latest_size", &self.latest_checkpoint().size)
            .finish_non_exhaustive()
    }
}

/// Leaf hashes read at a time when a store's tree nodes are filled in.
const FILL_CHUNK: u64 = 65_536;
/// New entries by other processes up to which the tree catches up by
/// reading their leaf hashes (past it, by reading the tails afresh).
const CATCH_UP_LEAVES: u64 = 65_536;

impl Sequencer {
    /// Opens the log in `store`: reads the tree's frontier, checks it
    /// against the latest checkpoint, and signs a first checkpoint for an
    /// empty log. The checkpoint origin is the key's name.
    ///
    /// A store written before tree nodes were stored (schema version 1) has
    /// them filled in from its leaf hashes first, once, in bounded memory.
    pub fn open(store: Arc<dyn Store>, key: NoteSigningKey) -> SequencerResult<Self> {
        let origin = key.name().to_owned();
        let empty = StoredCheckpoint {
            size: 0,
            root: merkle::EMPTY_ROOT,
            note: Vec::new(),
        };
        let sequencer = Self {
            store,
            key,
            origin,
            tree: StoredTree::new(),
            latest: RwLock::new(empty),
            writer: Mutex::new(()),
        };
        {
            let _writer = sequencer.writer.lock().expect("writer lock poisoned");
            sequencer.catch_up_committed()?;
        }
        if sequencer.store.latest_checkpoint()?.is_none() {
            sequencer.sign_current()?;
        }
        Ok(sequencer)
    }

    /// The log's origin line (also its key name).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The log's signed-note verifier key.
    pub fn verifier_key(&self) -> String {
        self.key.verifier_key_string()
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The latest committed checkpoint known to this process.
    pub fn latest_checkpoint(&self) -> StoredCheckpoint {
        self.latest
            .read()
            .expect("checkpoint lock poisoned")
            .clone()
    }

    /// Runs `f` on a view of the tree and the latest checkpoint. Compute
    /// proofs at `checkpoint.size`: the view may already hold the leaves of
    /// a batch committed after the checkpoint was read.
    pub fn with_tree<T>(&self, f: impl FnOnce(&TreeView<'_>, &StoredCheckpoint) -> T) -> T {
        let latest = self.latest_checkpoint();
        f(&self.tree.view(&*self.store), &latest)
    }

    /// Catches up with entries and checkpoints committed by other processes
    /// sharing the store (PostgreSQL). Cheap when nothing changed.
    pub fn refresh(&self) -> SequencerResult<()> {
        let _writer = self.writer.lock().expect("writer lock poisoned");
        self.catch_up_committed()
    }

    /// Integrates `batch`, see the module documentation.
    pub fn integrate(&self, batch: Vec<Pending>) -> SequencerResult<Integrated> {
        self.integrate_with(|| batch)
    }

    /// As [`integrate`](Self::integrate), with the batch collected by
    /// `collect` once the write lock is held (and, on PostgreSQL, the lock
    /// every process on the database takes turns on). A queue collects its
    /// batch here: entries that arrived while another writer held the lock
    /// join this batch, instead of waiting a whole turn behind a batch
    /// taken before it (which, with several processes, made every other
    /// batch a single entry).
    pub fn integrate_with(
        &self,
        collect: impl FnOnce() -> Vec<Pending>,
    ) -> SequencerResult<Integrated> {
        let _writer = self.writer.lock().expect("writer lock poisoned");
        let mut txn = self.store.begin_write()?;
        let batch = collect();
        let base = txn.size()?;
        self.catch_up(&mut *txn, base)?;

        // Which records are already logged, in one look-up for the batch.
        let ids: Vec<[u8; 32]> = batch.iter().map(|p| p.record_id).collect();
        let mut record_index: HashMap<[u8; 32], u64> = ids
            .iter()
            .zip(txn.indices_of_records(&ids)?)
            .filter_map(|(id, index)| Some((*id, index?)))
            .collect();
        let mut claimed: HashMap<UniqueKey, u64> = HashMap::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        // The tree grows on a copy of the frontier, taken as the tree's only
        // once the batch is committed: a failed batch leaves it untouched.
        let mut frontier = Frontier::clone(&self.tree.frontier());
        let mut completed: Vec<TreeNode> = Vec::new();
        // Rows are written after the loop, each kind in one call (one
        // statement on PostgreSQL); conflicts inside the batch are seen
        // through `claimed` and `record_index` meanwhile.
        let mut entries = Vec::new();
        let mut claims = Vec::new();
        let mut tags = Vec::new();
        for pending in batch {
            let next = frontier.size();
            if let Some(&index) = record_index.get(&pending.record_id) {
                outcomes.push(Outcome::Duplicate(index));
                continue;
            }
            if let Some((key, holder)) = first_conflict(&mut *txn, &claimed, &pending)? {
                outcomes.push(Outcome::Conflict { key, holder });
                continue;
            }
            let leaf_hash = merkle::leaf_hash(&pending.leaf);
            for key in pending.unique_keys {
                claimed.insert(key.clone(), next);
                claims.push((key, next));
            }
            tags.extend(pending.topics.into_iter().map(|topic| (topic, next)));
            record_index.insert(pending.record_id, next);
            frontier.push(leaf_hash, &mut completed);
            entries.push(StoredEntry {
                index: next,
                record_id: pending.record_id,
                leaf_hash,
                leaf: pending.leaf,
            });
            outcomes.push(Outcome::Appended(next));
        }
        if entries.is_empty() {
            return Ok(Integrated {
                outcomes,
                checkpoint: self.latest_checkpoint(),
            });
        }
        txn.append_all(&entries)?;
        for (key, index) in &claims {
            txn.claim_unique(key, *index)?;
        }
        let tags: Vec<(&[u8], u64)> = tags.iter().map(|(t, i)| (t.as_slice(), *i)).collect();
        txn.tag_all(&tags)?;
        for node in &completed {
            txn.put_tree_node(node)?;
        }
        let checkpoint = self.sign(frontier.size(), frontier.root())?;
        txn.put_checkpoint(&checkpoint)?;
        txn.commit()?;
        self.tree.set_frontier(frontier);
        *self.latest.write().expect("checkpoint lock poisoned") = checkpoint.clone();
        Ok(Integrated {
            outcomes,
            checkpoint,
        })
    }

    fn sign(&self, size: u64, root: Hash) -> SequencerResult<StoredCheckpoint> {
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
            extensions: Vec::new(),
        };
        let note = sign_checkpoint(&checkpoint, &self.key)
            .map_err(|e| SequencerError::Signing(e.to_string()))?;
        Ok(StoredCheckpoint { size, root, note })
    }

    /// Signs and stores a checkpoint at the current committed size.
    fn sign_current(&self) -> SequencerResult<()> {
        let _writer = self.writer.lock().expect("writer lock poisoned");
        let mut txn = self.store.begin_write()?;
        let size = txn.size()?;
        self.catch_up(&mut *txn, size)?;
        let root = self.tree.frontier().root();
        let checkpoint = self.sign(size, root)?;
        txn.put_checkpoint(&checkpoint)?;
        txn.commit()?;
        *self.latest.write().expect("checkpoint lock poisoned") = checkpoint;
        Ok(())
    }

    /// Moves the tree to the committed size `size` read through `reader`
    /// (inside the write transaction: entries other processes appended),
    /// then adopts the store's latest checkpoint.
    fn catch_up(&self, reader: &mut dyn LogRead, size: u64) -> SequencerResult<()> {
        let have = self.tree.frontier().size();
        if have > size {
            return Err(SequencerError::Inconsistent(format!(
                "store holds {size} entries but this process integrated {have}"
            )));
        }
        if size > have {
            // Another process appended since: extend our frontier by the
            // leaf hashes it added (one query), or, after a long absence,
            // read the tails afresh. Either way the signed checkpoint read
            // next must commit to the result.
            let frontier = if size - have <= CATCH_UP_LEAVES {
                let mut frontier = Frontier::clone(&self.tree.frontier());
                let hashes = reader.tree_row(0, have, size)?;
                push_leaf_hashes(&mut frontier, size, hashes, &mut Vec::new())?;
                frontier
            } else {
                read_frontier(reader, size)?.map_err(inconsistent)?
            };
            self.tree.set_frontier(frontier);
        }
        if size > have || self.latest_checkpoint().note.is_empty() {
            // Inside the write transaction, so the checkpoint is the one
            // committed with these entries (no other writer can be between).
            self.adopt_checkpoint(reader.latest_checkpoint()?)?;
        }
        Ok(())
    }

    /// Reads the committed tree (at open, and to follow other processes),
    /// filling in tree nodes a store of schema version 1 lacks.
    fn catch_up_committed(&self) -> SequencerResult<()> {
        // The checkpoint first: a batch commits its entries together with
        // its checkpoint, so entries counted afterwards always cover it
        // (read the other way round, another writer's commit in between
        // would show a checkpoint ahead of the entries).
        let checkpoint = self.store.latest_checkpoint()?;
        let have = self.tree.frontier().size();
        // Cheap when nothing changed (the periodic refresh): the size only.
        let (size, frontier) = read_in(&*self.store, |r| {
            let size = r.size()?;
            let frontier = (size != have).then(|| read_frontier(r, size)).transpose()?;
            Ok((size, frontier))
        })?;
        if size < have {
            return Err(SequencerError::Inconsistent(format!(
                "store holds {size} entries but this process integrated {have}"
            )));
        }
        match frontier {
            None => {}
            Some(Ok(frontier)) => self.tree.set_frontier(frontier),
            Some(Err(_)) => {
                self.fill_tree_nodes(size)?;
                let frontier =
                    read_in(&*self.store, |r| read_frontier(r, size))?.map_err(inconsistent)?;
                self.tree.set_frontier(frontier);
            }
        }
        self.adopt_checkpoint(checkpoint)
    }

    /// Stores the tree nodes of the first `size` entries, computed from
    /// their leaf hashes in chunks (one write transaction each): for a store
    /// written before tree nodes were stored. Nodes already there are kept
    /// (they must be equal), so an interrupted fill is simply run again.
    fn fill_tree_nodes(&self, size: u64) -> SequencerResult<()> {
        let mut frontier = Frontier::new();
        while frontier.size() < size {
            let (start, end) = (frontier.size(), size.min(frontier.size() + FILL_CHUNK));
            let hashes = self.store.leaf_hashes(start, end)?;
            let mut completed = Vec::new();
            push_leaf_hashes(&mut frontier, end, hashes, &mut completed)?;
            let mut txn = self.store.begin_write()?;
            for node in &completed {
                txn.put_tree_node(node)?;
            }
            txn.commit()?;
        }
        Ok(())
    }

    /// Takes `stored` as our checkpoint after checking that it commits to
    /// our tree.
    fn adopt_checkpoint(&self, stored: Option<StoredCheckpoint>) -> SequencerResult<()> {
        let Some(stored) = stored else {
            return Ok(());
        };
        let tree = self.tree.view(&*self.store);
        let root = tree.root_at(stored.size).map_err(|e| match e {
            TreeError::Store(e) => SequencerError::Store(e),
            TreeError::Proof(_) => SequencerError::Inconsistent(format!(
                "checkpoint of size {} is ahead of the {} stored entries",
                stored.size,
                tree.size()
            )),
            e => inconsistent(e),
        })?;
        if root != stored.root {
            return Err(SequencerError::Inconsistent(format!(
                "stored entries do not hash to the signed root at size {}",
                stored.size
            )));
        }
        let mut latest = self.latest.write().expect("checkpoint lock poisoned");
        if stored.size >= latest.size {
            *latest = stored;
        }
        Ok(())
    }
}

fn first_conflict(
    txn: &mut dyn LogRead,
    claimed: &HashMap<UniqueKey, u64>,
    pending: &Pending,
) -> SequencerResult<Option<(UniqueKey, u64)>> {
    for key in &pending.unique_keys {
        let holder = match claimed.get(key) {
            Some(&i) => Some(i),
            None => txn.unique_holder(key)?,
        };
        if let Some(holder) = holder {
            return Ok(Some((key.clone(), holder)));
        }
    }
    Ok(None)
}

/// A stored tree that contradicts itself.
fn inconsistent(e: impl std::fmt::Display) -> SequencerError {
    SequencerError::Inconsistent(e.to_string())
}

/// Grows `frontier` to `end` leaves by `hashes`, the stored leaf hashes
/// from its size on (subtrees it completes are added to `completed`);
/// hashes missing from the store are an inconsistency.
fn push_leaf_hashes(
    frontier: &mut Frontier,
    end: u64,
    hashes: Vec<Hash>,
    completed: &mut Vec<TreeNode>,
) -> SequencerResult<()> {
    let start = frontier.size();
    if hashes.len() as u64 != end - start {
        return Err(SequencerError::Inconsistent(format!(
            "expected {} leaf hashes from index {start}, found {}",
            end - start,
            hashes.len()
        )));
    }
    for hash in hashes {
        frontier.push(hash, completed);
    }
    Ok(())
}
