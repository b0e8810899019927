//! Content-addressed storage for ceremony keys: each file is named by the
//! hex SHA3-256 of its bytes, written durably before any record names it,
//! and never changed afterwards (so it is served as immutable).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha3::{Digest, Sha3_256};

/// The key files of every ceremony, by SHA3-256.
pub struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    /// Files kept in `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Where the file with this digest is (or would be).
    pub fn path(&self, digest: &[u8; 32]) -> PathBuf {
        self.dir.join(hex::encode(digest))
    }

    /// Whether the file with this digest is stored.
    pub fn contains(&self, digest: &[u8; 32]) -> bool {
        self.path(digest).is_file()
    }

    /// The stored bytes with this digest, checked against it (a file
    /// changed on disk is reported, never served as the logged one).
    pub fn get(&self, digest: &[u8; 32]) -> std::io::Result<Option<Vec<u8>>> {
        let bytes = match std::fs::read(self.path(digest)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if Sha3_256::digest(&bytes)[..] != digest[..] {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "stored key {} does not match its digest",
                    hex::encode(digest)
                ),
            ));
        }
        Ok(Some(bytes))
    }

    /// Stores `bytes` durably (written, synced, renamed into place, the
    /// directory synced) under their digest. Returns the digest and whether
    /// the file is new (`false`: the same bytes were already stored).
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<([u8; 32], bool)> {
        let digest: [u8; 32] = Sha3_256::digest(bytes).into();
        if self.contains(&digest) {
            return Ok((digest, false));
        }
        std::fs::create_dir_all(&self.dir)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        file.persist(self.path(&digest)).map_err(|e| e.error)?;
        sync_dir(&self.dir)?;
        Ok((digest, true))
    }

    /// Removes a file this process stored for a step that was then refused.
    pub fn remove(&self, digest: &[u8; 32]) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(digest)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
