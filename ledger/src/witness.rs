//! The C2SP [`tlog-witness`](https://c2sp.org/tlog-witness) protocol: the
//! `add-checkpoint` request body and the witness's rules, without HTTP.
//!
//! A [`Witness`] knows a set of logs (by their Ed25519 verifier keys, whose
//! names are the log origins) and, per log, the latest checkpoint it cosigned
//! (size and root, in a [`WitnessStateStore`]). It cosigns a new checkpoint
//! only if the log signed it, the client's `old` size is the size the witness
//! last cosigned, and the consistency proof shows the new tree extends that
//! one. The new state is persisted (durably, for [`FileWitnessState`])
//! before the cosignature is returned, and the check and the update are one
//! compare-and-swap, so concurrent requests can't roll the state back.
//!
//! Request outcomes map onto the spec's HTTP statuses through
//! [`WitnessError::http_status`]:
//!
//! | outcome | status |
//! |---|---|
//! | malformed body or checkpoint; `old` larger than the checkpoint size | 400 |
//! | no valid signature by a trusted key of the log | 403 |
//! | unknown origin | 404 |
//! | `old` is not the witness's latest size for the log (body: that size) | 409 |
//! | same size as the latest cosigned checkpoint but another root (a fork) | 409 |
//! | consistency proof does not verify | 422 |
//!
//! The spec says "the proof MUST be empty if the old size is zero" without
//! naming a status; a non-empty proof from size zero is treated as a proof
//! that does not verify (422).

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::merkle::{Hash, verify_consistency};
use crate::note::{
    Checkpoint, CosignerKey, KeyType, NoteError, NoteVerifierKey, decode_hash_base64,
    open_checkpoint_with_keys, parse_canonical_decimal, parse_checkpoint_unverified,
};

/// The most consistency proof lines a request may carry (tlog-witness).
pub const MAX_PROOF_HASHES: usize = 63;

/// The largest `add-checkpoint` request body accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Content type of the 409 Conflict response body (the witness's size).
pub const TLOG_SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// How often [`Witness::add_checkpoint`] retries when the stored state
/// changes between its read and its compare-and-swap.
const MAX_CAS_ATTEMPTS: usize = 8;

/// The latest cosigned tree head of a log: `(size, root)`.
pub type TreeHead = (u64, Hash);

/// Errors of the witness, each mapped to an HTTP status by
/// [`WitnessError::http_status`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The request body is not a well-formed `add-checkpoint` request.
    #[error("malformed request: {0}")]
    MalformedRequest(&'static str),
    /// The checkpoint is not a well-formed signed checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(#[source] NoteError),
    /// The request's `old` size is larger than the checkpoint size.
    #[error("old size {old_size} is larger than the checkpoint size {checkpoint_size}")]
    OldSizeAboveCheckpoint {
        /// The request's `old` size.
        old_size: u64,
        /// The checkpoint's tree size.
        checkpoint_size: u64,
    },
    /// The witness does not know the checkpoint's origin.
    #[error("unknown log origin {origin:?}")]
    UnknownLog {
        /// The checkpoint's origin line.
        origin: String,
    },
    /// No signature by a trusted key of the log verifies.
    #[error("checkpoint is not validly signed by the log")]
    LogSignature(#[source] NoteError),
    /// The request's `old` size is not the size of the latest checkpoint the
    /// witness cosigned for the log.
    #[error("old size {old_size} does not match the witness's latest size {latest_size}")]
    SizeConflict {
        /// The witness's latest cosigned size (0 if none).
        latest_size: u64,
        /// The request's `old` size.
        old_size: u64,
    },
    /// The checkpoint has the size of the latest cosigned checkpoint but a
    /// different root: the log forked.
    #[error("checkpoint root differs from the cosigned root at size {size}")]
    RootConflict {
        /// The tree size of both checkpoints.
        size: u64,
    },
    /// The consistency proof does not verify.
    #[error("consistency proof does not verify")]
    InvalidProof,
    /// A log verifier key in the configuration is invalid.
    #[error("invalid log key in the witness configuration")]
    Config(#[source] NoteError),
    /// Reading or writing the witness state failed.
    #[error("witness state storage failed")]
    Storage(#[source] io::Error),
    /// A stored state file is not in the expected format.
    #[error("witness state file {} is corrupt", .path.display())]
    CorruptState {
        /// The file.
        path: PathBuf,
    },
    /// The state kept changing under concurrent requests.
    #[error("too many concurrent updates for this log")]
    Contention,
    /// Cosigning failed.
    #[error("cosigning failed")]
    Cosign(#[source] NoteError),
}

impl WitnessError {
    /// The HTTP status code tlog-witness prescribes for this outcome
    /// (500 or 503 for the witness's own failures).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::MalformedRequest(_)
            | Self::MalformedCheckpoint(_)
            | Self::OldSizeAboveCheckpoint { .. } => 400,
            Self::LogSignature(_) => 403,
            Self::UnknownLog { .. } => 404,
            Self::SizeConflict { .. } | Self::RootConflict { .. } => 409,
            Self::InvalidProof => 422,
            Self::Contention => 503,
            Self::Config(_) | Self::Storage(_) | Self::CorruptState { .. } | Self::Cosign(_) => 500,
        }
    }

    /// For a size conflict, the witness's latest size, to be sent as the 409
    /// body (`<size>\n`, content type [`TLOG_SIZE_CONTENT_TYPE`]).
    pub fn conflict_size(&self) -> Option<u64> {
        match self {
            Self::SizeConflict { latest_size, .. } => Some(*latest_size),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// The request body
// ---------------------------------------------------------------------------

/// An `add-checkpoint` request: the size the client believes the witness
/// last cosigned, a consistency proof from it, and the signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpointRequest {
    /// The size of the previous checkpoint (0 if none).
    pub old_size: u64,
    /// RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub consistency_proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: Vec<u8>,
}

impl AddCheckpointRequest {
    /// The request body: `old <size>\n`, one base64 hash per line, an empty
    /// line, then the checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = format!("old {}\n", self.old_size).into_bytes();
        for hash in &self.consistency_proof {
            body.extend_from_slice(BASE64.encode(hash).as_bytes());
            body.push(b'\n');
        }
        body.push(b'\n');
        body.extend_from_slice(&self.checkpoint);
        body
    }

    /// Parses a request body strictly: at most [`MAX_REQUEST_BYTES`], a
    /// canonical decimal old size, at most [`MAX_PROOF_HASHES`] canonical
    /// base64 32-byte hashes, and a non-empty checkpoint (whose note syntax
    /// is checked later, by the witness).
    pub fn parse(body: &[u8]) -> Result<Self, WitnessError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(WitnessError::MalformedRequest("body too large"));
        }
        let (old_line, mut rest) = split_line(body)?;
        let old_size = parse_old_size_line(old_line)?;
        let mut consistency_proof = Vec::new();
        loop {
            let (line, after) = split_line(rest)?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if consistency_proof.len() == MAX_PROOF_HASHES {
                return Err(WitnessError::MalformedRequest("too many proof lines"));
            }
            consistency_proof.push(parse_proof_line(line)?);
        }
        if rest.is_empty() {
            return Err(WitnessError::MalformedRequest("missing checkpoint"));
        }
        Ok(Self {
            old_size,
            consistency_proof,
            checkpoint: rest.to_vec(),
        })
    }
}

/// Splits off the first line (without its `\n`); every line must end in `\n`.
fn split_line(bytes: &[u8]) -> Result<(&[u8], &[u8]), WitnessError> {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(WitnessError::MalformedRequest("unterminated line"))?;
    Ok((&bytes[..end], &bytes[end + 1..]))
}

fn parse_old_size_line(line: &[u8]) -> Result<u64, WitnessError> {
    line.strip_prefix(b"old ")
        .and_then(|size| std::str::from_utf8(size).ok())
        .and_then(parse_canonical_decimal)
        .ok_or(WitnessError::MalformedRequest("bad old size line"))
}

fn parse_proof_line(line: &[u8]) -> Result<Hash, WitnessError> {
    std::str::from_utf8(line)
        .ok()
        .and_then(decode_hash_base64)
        .ok_or(WitnessError::MalformedRequest("bad consistency proof line"))
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

/// Where a witness keeps the latest tree head it cosigned for each log.
///
/// Implementations must make [`compare_and_swap`](Self::compare_and_swap)
/// atomic and durable: once it returns `Ok(true)` the new head survives a
/// crash.
pub trait WitnessStateStore {
    /// The latest cosigned `(size, root)` of the log, if any.
    fn latest(&self, origin: &str) -> Result<Option<TreeHead>, WitnessError>;

    /// Replaces the log's head with `new` if it is still `old`; returns
    /// whether it did.
    fn compare_and_swap(
        &self,
        origin: &str,
        old: Option<TreeHead>,
        new: TreeHead,
    ) -> Result<bool, WitnessError>;
}

/// Witness state in a directory, one file per log named by the SHA-256 of
/// its origin. Writes go to a temporary file that is fsynced and renamed
/// over the old one, then the directory is fsynced.
///
/// A mutex serialises compare-and-swap within the process; the directory
/// must not be shared by two witness processes.
#[derive(Debug)]
pub struct FileWitnessState {
    dir: PathBuf,
    lock: Mutex<()>,
}

/// First line of every state file.
const STATE_FILE_HEADER: &str = "zkaudit-witness-state/v1\n";

impl FileWitnessState {
    /// Opens (creating if needed) the state directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, WitnessError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(WitnessError::Storage)?;
        Ok(Self {
            dir,
            lock: Mutex::new(()),
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file_stem(origin: &str) -> String {
        hex::encode(Sha256::digest(origin.as_bytes()))
    }

    fn path_for(&self, origin: &str) -> PathBuf {
        self.dir.join(format!("{}.state", Self::file_stem(origin)))
    }

    fn locked(&self) -> MutexGuard<'_, ()> {
        // The files are the state; a panic elsewhere leaves nothing to repair.
        self.lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read(&self, origin: &str) -> Result<Option<TreeHead>, WitnessError> {
        let path = self.path_for(origin);
        let contents = match fs::read(&path) {
            Ok(contents) => contents,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(WitnessError::Storage(err)),
        };
        let head =
            decode_state_file(&contents, origin).ok_or(WitnessError::CorruptState { path })?;
        Ok(Some(head))
    }

    fn write(&self, origin: &str, head: TreeHead) -> Result<(), WitnessError> {
        let path = self.path_for(origin);
        let tmp = self.dir.join(format!(".{}.tmp", Self::file_stem(origin)));
        write_synced(&tmp, encode_state_file(origin, head).as_bytes())
            .and_then(|()| fs::rename(&tmp, &path))
            .and_then(|()| sync_dir(&self.dir))
            .map_err(WitnessError::Storage)
    }
}

impl WitnessStateStore for FileWitnessState {
    fn latest(&self, origin: &str) -> Result<Option<TreeHead>, WitnessError> {
        let _guard = self.locked();
        self.read(origin)
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        old: Option<TreeHead>,
        new: TreeHead,
    ) -> Result<bool, WitnessError> {
        let _guard = self.locked();
        if self.read(origin)? != old {
            return Ok(false);
        }
        self.write(origin, new)?;
        Ok(true)
    }
}

/// The state file: a header line, then the head as a checkpoint body
/// (origin, size, base64 root), which also records which origin it is for.
fn encode_state_file(origin: &str, (size, root): TreeHead) -> String {
    format!(
        "{STATE_FILE_HEADER}{}",
        Checkpoint::new(origin, size, root).to_body()
    )
}

fn decode_state_file(contents: &[u8], origin: &str) -> Option<TreeHead> {
    let body = std::str::from_utf8(contents)
        .ok()?
        .strip_prefix(STATE_FILE_HEADER)?;
    let head = Checkpoint::parse_body(body).ok()?;
    (head.origin == origin && head.extensions.is_empty()).then_some((head.size, head.root))
}

fn write_synced(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        File::open(dir)?.sync_all()
    } else {
        Ok(())
    }
}

/// Witness state in memory, for tests and for embedding a witness whose
/// state lives elsewhere. Not durable.
#[derive(Debug, Default)]
pub struct MemoryWitnessState {
    heads: Mutex<HashMap<String, TreeHead>>,
}

impl MemoryWitnessState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    fn heads(&self) -> MutexGuard<'_, HashMap<String, TreeHead>> {
        self.heads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl WitnessStateStore for MemoryWitnessState {
    fn latest(&self, origin: &str) -> Result<Option<TreeHead>, WitnessError> {
        Ok(self.heads().get(origin).copied())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        old: Option<TreeHead>,
        new: TreeHead,
    ) -> Result<bool, WitnessError> {
        let mut heads = self.heads();
        if heads.get(origin).copied() != old {
            return Ok(false);
        }
        heads.insert(origin.to_owned(), new);
        Ok(true)
    }
}

// ---------------------------------------------------------------------------
// The witness
// ---------------------------------------------------------------------------

/// The source of cosignature timestamps, in POSIX seconds.
pub type Clock = Box<dyn Fn() -> u64 + Send + Sync>;

/// A tlog-witness: cosigns checkpoints of known logs that are consistent
/// with what it cosigned before.
pub struct Witness {
    key: CosignerKey,
    logs: HashMap<String, Vec<NoteVerifierKey>>,
    state: Box<dyn WitnessStateStore + Send + Sync>,
    clock: Clock,
}

impl fmt::Debug for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Witness")
            .field("key", &self.key)
            .field("logs", &self.logs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Witness {
    /// A witness signing with `key` for the logs whose Ed25519 verifier keys
    /// are `log_vkeys` (each log's origin is its key name; several keys may
    /// share an origin, e.g. during a rotation). Timestamps come from the
    /// system clock.
    pub fn new(
        key: CosignerKey,
        log_vkeys: &[String],
        state: Box<dyn WitnessStateStore + Send + Sync>,
    ) -> Result<Self, WitnessError> {
        let mut logs: HashMap<String, Vec<NoteVerifierKey>> = HashMap::new();
        for vkey in log_vkeys {
            let log_key = parse_log_key(vkey).map_err(WitnessError::Config)?;
            logs.entry(log_key.name().to_owned())
                .or_default()
                .push(log_key);
        }
        Ok(Self {
            key,
            logs,
            state,
            clock: Box::new(unix_now),
        })
    }

    /// Replaces the clock (e.g. with a fixed one in tests).
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// The witness's `cosignature/v1` verifier key string.
    pub fn verifier_key_string(&self) -> String {
        self.key.verifier_key_string()
    }

    /// The witness name.
    pub fn name(&self) -> &str {
        self.key.name()
    }

    /// Whether the witness knows the log with this origin.
    pub fn knows_log(&self, origin: &str) -> bool {
        self.logs.contains_key(origin)
    }

    /// The latest tree head the witness cosigned for the log, if any.
    pub fn latest(&self, origin: &str) -> Result<Option<TreeHead>, WitnessError> {
        self.state.latest(origin)
    }

    /// Handles an `add-checkpoint` request body; returns the cosignature
    /// line(s) to send back with 200.
    pub fn add_checkpoint(&self, body: &[u8]) -> Result<Vec<u8>, WitnessError> {
        self.add_checkpoint_request(&AddCheckpointRequest::parse(body)?)
    }

    /// Handles a parsed `add-checkpoint` request; see [`Self::add_checkpoint`].
    pub fn add_checkpoint_request(
        &self,
        request: &AddCheckpointRequest,
    ) -> Result<Vec<u8>, WitnessError> {
        let checkpoint = self.open_checkpoint(&request.checkpoint)?;
        if request.old_size > checkpoint.size {
            return Err(WitnessError::OldSizeAboveCheckpoint {
                old_size: request.old_size,
                checkpoint_size: checkpoint.size,
            });
        }
        self.advance_state(&checkpoint, request)?;
        self.cosign(&checkpoint)
    }

    /// Parses the checkpoint, finds its log and verifies the log's signature
    /// (400, 404, 403).
    fn open_checkpoint(&self, note: &[u8]) -> Result<Checkpoint, WitnessError> {
        let claimed =
            parse_checkpoint_unverified(note).map_err(WitnessError::MalformedCheckpoint)?;
        let log_keys = self
            .logs
            .get(&claimed.origin)
            .ok_or(WitnessError::UnknownLog {
                origin: claimed.origin,
            })?;
        open_checkpoint_with_keys(note, log_keys).map_err(WitnessError::LogSignature)
    }

    /// Checks the request against the stored head and moves the head to the
    /// checkpoint, atomically and durably (409, 422).
    fn advance_state(
        &self,
        checkpoint: &Checkpoint,
        request: &AddCheckpointRequest,
    ) -> Result<(), WitnessError> {
        let new_head = (checkpoint.size, checkpoint.root);
        for _ in 0..MAX_CAS_ATTEMPTS {
            let latest = self.state.latest(&checkpoint.origin)?;
            check_extends(latest, request, new_head)?;
            if latest == Some(new_head)
                || self
                    .state
                    .compare_and_swap(&checkpoint.origin, latest, new_head)?
            {
                return Ok(());
            }
        }
        Err(WitnessError::Contention)
    }

    fn cosign(&self, checkpoint: &Checkpoint) -> Result<Vec<u8>, WitnessError> {
        self.key
            .cosign(checkpoint.to_body().as_bytes(), (self.clock)())
            .map_err(WitnessError::Cosign)
    }
}

fn parse_log_key(vkey: &str) -> Result<NoteVerifierKey, NoteError> {
    let key = NoteVerifierKey::parse(vkey)?;
    key.key_type().expect(KeyType::Ed25519)?;
    Ok(key)
}

/// Checks that `new_head` may follow `latest` given the request's old size
/// and proof.
fn check_extends(
    latest: Option<TreeHead>,
    request: &AddCheckpointRequest,
    (new_size, new_root): TreeHead,
) -> Result<(), WitnessError> {
    let latest_size = latest.map_or(0, |(size, _)| size);
    if request.old_size != latest_size {
        return Err(WitnessError::SizeConflict {
            latest_size,
            old_size: request.old_size,
        });
    }
    let Some((old_size, old_root)) = latest else {
        // Nothing cosigned yet: the empty tree is a prefix of every tree.
        return require_empty_proof(request);
    };
    if old_size == new_size {
        if old_root != new_root {
            return Err(WitnessError::RootConflict { size: new_size });
        }
        return require_empty_proof(request);
    }
    verify_consistency(
        old_size,
        new_size,
        &old_root,
        &new_root,
        &request.consistency_proof,
    )
    .map_err(|_| WitnessError::InvalidProof)
}

fn require_empty_proof(request: &AddCheckpointRequest) -> Result<(), WitnessError> {
    if request.consistency_proof.is_empty() {
        Ok(())
    } else {
        Err(WitnessError::InvalidProof)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
