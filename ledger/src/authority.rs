//! Authorities: who may write which record kinds.
//!
//! An authority (a civil registry, a ministry, a land registry…) is an
//! Ed25519 public key with a name and the record kinds it may write. The set
//! comes from the service's configuration and is itself logged, as a
//! `ledger/authority-set` record signed by the log's key, at start and on
//! every change — so anyone replaying the log knows which key was allowed to
//! write what, and when.

use ed25519_dalek::VerifyingKey;
use sha3::{Digest, Sha3_256};

use crate::codec::{CodecError, Reader, Writer};
use crate::record::{Author, Record};
use crate::signature::{check_verifying_key, parse_verifying_key};

/// Domain of the log's own records.
pub const LEDGER_DOMAIN: &str = "ledger";
/// Kind of the record that publishes the authority set.
pub const AUTHORITY_SET_KIND: &str = "authority-set";

const MAX_AUTHORITIES: usize = 1024;
const MAX_GRANTS: usize = 256;
const MAX_NAME: usize = 64;

/// Why an authority write was refused, or an authority set is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The record is not signed by any configured authority.
    #[error("the record's author is not a configured authority")]
    UnknownAuthor,
    /// The record carries no author or signature but its kind needs one.
    #[error("record kind {kind} must be signed by an authority")]
    MissingSignature {
        /// `domain/kind`.
        kind: String,
    },
    /// The authority exists but may not write this kind.
    #[error("authority {authority:?} may not write {kind} records")]
    KindNotPermitted {
        /// The authority's name.
        authority: String,
        /// `domain/kind`.
        kind: String,
    },
    /// The record's timestamp is outside the accepted window: an old record
    /// replayed, or a clock far off.
    #[error(
        "record timestamp {timestamp_ms} ms is {skew_ms} ms away from the log's clock (window ±{window_ms} ms): refusing a stale or replayed record"
    )]
    Stale {
        /// The record's claimed time.
        timestamp_ms: u64,
        /// Distance to the log's clock.
        skew_ms: u64,
        /// Accepted distance.
        window_ms: u64,
    },
    /// The authority set itself is invalid.
    #[error("invalid authority set: {0}")]
    InvalidSet(String),
    /// An encoded authority set could not be decoded.
    #[error("malformed authority set: {0}")]
    Malformed(#[from] CodecError),
}

/// One authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    /// Human-readable unique name, e.g. `"civil-registry"`.
    pub name: String,
    /// The key its records are signed with.
    pub key: VerifyingKey,
    /// Kinds it may write: `"domain/kind"`, or `"domain/*"` for a whole domain.
    pub grants: Vec<String>,
}

impl Authority {
    /// Whether this authority may write `domain/kind`.
    pub fn may_write(&self, domain: &str, kind: &str) -> bool {
        self.grants.iter().any(|grant| match grant.split_once('/') {
            Some((d, "*")) => d == domain,
            Some((d, k)) => d == domain && k == kind,
            None => false,
        })
    }
}

/// The configured authorities, in canonical (name) order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthoritySet {
    authorities: Vec<Authority>,
}

impl AuthoritySet {
    /// Validates and canonicalises: unique names and keys, keys that
    /// [`check_verifying_key`] accepts, well-formed grants, sorted by name.
    pub fn new(mut authorities: Vec<Authority>) -> Result<Self, AuthorityError> {
        if authorities.len() > MAX_AUTHORITIES {
            return Err(AuthorityError::InvalidSet("too many authorities".into()));
        }
        authorities.sort_by(|a, b| a.name.cmp(&b.name));
        for a in &mut authorities {
            validate_authority(a)?;
            a.grants.sort();
            a.grants.dedup();
        }
        for pair in authorities.windows(2) {
            if pair[0].name == pair[1].name {
                return Err(AuthorityError::InvalidSet(format!(
                    "authority name {:?} appears twice",
                    pair[0].name
                )));
            }
        }
        let mut keys: Vec<_> = authorities.iter().map(|a| a.key.to_bytes()).collect();
        keys.sort();
        if keys.windows(2).any(|k| k[0] == k[1]) {
            return Err(AuthorityError::InvalidSet(
                "two authorities share one key".into(),
            ));
        }
        Ok(Self { authorities })
    }

    /// The authorities, sorted by name.
    pub fn authorities(&self) -> &[Authority] {
        &self.authorities
    }

    /// The authority holding `key`, if any.
    pub fn by_key(&self, key: &VerifyingKey) -> Option<&Authority> {
        self.authorities.iter().find(|a| &a.key == key)
    }

    /// Checks that `record` is signed by an authority allowed to write its
    /// kind. The signature itself was verified by [`Record::decode`] (or at
    /// construction); this checks *who* signed and what they may write.
    pub fn authorise(&self, record: &Record) -> Result<&Authority, AuthorityError> {
        let Author::Ed25519(key) = record.author() else {
            return Err(AuthorityError::MissingSignature {
                kind: record.qualified_kind(),
            });
        };
        let authority = self.by_key(&key).ok_or(AuthorityError::UnknownAuthor)?;
        if authority.may_write(record.domain(), record.kind()) {
            Ok(authority)
        } else {
            Err(AuthorityError::KindNotPermitted {
                authority: authority.name.clone(),
                kind: record.qualified_kind(),
            })
        }
    }

    /// Canonical encoding (the payload of a `ledger/authority-set` record).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(self.authorities.len() as u32);
        for a in &self.authorities {
            w.str(&a.name).fixed(a.key.as_bytes());
            w.u16(a.grants.len() as u16);
            for g in &a.grants {
                w.str(g);
            }
        }
        w.finish()
    }

    /// Strict decoding; the result must already be canonical.
    pub fn decode(bytes: &[u8]) -> Result<Self, AuthorityError> {
        let mut r = Reader::new(bytes);
        let count = r.u32("authority count")? as usize;
        if count > MAX_AUTHORITIES {
            return Err(AuthorityError::InvalidSet("too many authorities".into()));
        }
        let mut authorities = Vec::with_capacity(count);
        for _ in 0..count {
            let name = r.str("authority name", MAX_NAME)?.to_owned();
            let key = parse_verifying_key(&r.array("authority key")?)
                .map_err(|e| AuthorityError::InvalidSet(format!("bad key for {name:?}: {e}")))?;
            let n = r.u16("grant count")? as usize;
            if n > MAX_GRANTS {
                return Err(AuthorityError::InvalidSet("too many grants".into()));
            }
            let grants = (0..n)
                .map(|_| r.str("grant", 2 * MAX_NAME).map(str::to_owned))
                .collect::<Result<_, _>>()?;
            authorities.push(Authority { name, key, grants });
        }
        r.finish()?;
        let set = Self::new(authorities)?;
        if set.encode() != bytes {
            return Err(AuthorityError::InvalidSet("not in canonical order".into()));
        }
        Ok(set)
    }

    /// SHA3-256 digest of the canonical encoding, tagged.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha3_256::new();
        h.update(b"zkaudit/v1/authority-set\0");
        h.update(self.encode());
        h.finalize().into()
    }
}

/// Refuses records whose claimed time is further than `window_ms` from `now_ms`.
///
/// Together with record-id de-duplication this is the replay rule: a
/// byte-identical resubmission is answered with the existing index, and an
/// old signed record can't be logged again later as if it were new.
pub fn check_freshness(
    timestamp_ms: u64,
    now_ms: u64,
    window_ms: u64,
) -> Result<(), AuthorityError> {
    let skew_ms = timestamp_ms.abs_diff(now_ms);
    if skew_ms > window_ms {
        return Err(AuthorityError::Stale {
            timestamp_ms,
            skew_ms,
            window_ms,
        });
    }
    Ok(())
}

fn validate_authority(a: &Authority) -> Result<(), AuthorityError> {
    let name_ok = !a.name.is_empty()
        && a.name.len() <= MAX_NAME
        && a.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(AuthorityError::InvalidSet(format!(
            "authority name {:?} must be 1-{MAX_NAME} of [A-Za-z0-9._-]",
            a.name
        )));
    }
    check_verifying_key(&a.key)
        .map_err(|e| AuthorityError::InvalidSet(format!("bad key for {:?}: {e}", a.name)))?;
    if a.grants.len() > MAX_GRANTS {
        return Err(AuthorityError::InvalidSet("too many grants".into()));
    }
    for g in &a.grants {
        let well_formed = g.len() <= 2 * MAX_NAME
            && matches!(g.split_once('/'), Some((d, k)) if !d.is_empty() && !k.is_empty() && !k.contains('/'));
        if !well_formed {
            return Err(AuthorityError::InvalidSet(format!(
                "grant {g:?} of {:?} must be \"domain/kind\" or \"domain/*\"",
                a.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::TEST_LOG;
    use ed25519_dalek::SigningKey;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    fn key(seed: u64) -> SigningKey {
        SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    fn set() -> AuthoritySet {
        AuthoritySet::new(vec![
            Authority {
                name: "ministry".into(),
                key: key(2).verifying_key(),
                grants: vec!["funds/*".into()],
            },
            Authority {
                name: "civil-registry".into(),
                key: key(1).verifying_key(),
                grants: vec!["identity/credential.issue".into(), "ledger/notice".into()],
            },
        ])
        .unwrap()
    }

    #[test]
    fn authorises_by_key_and_grant() {
        let set = set();
        let ok =
            Record::signed(TEST_LOG, "identity", "credential.issue", 0, vec![], &key(1)).unwrap();
        assert_eq!(set.authorise(&ok).unwrap().name, "civil-registry");
        let wildcard =
            Record::signed(TEST_LOG, "funds", "expenditure", 0, vec![], &key(2)).unwrap();
        assert_eq!(set.authorise(&wildcard).unwrap().name, "ministry");
        let not_granted =
            Record::signed(TEST_LOG, "funds", "expenditure", 0, vec![], &key(1)).unwrap();
        assert!(matches!(
            set.authorise(&not_granted),
            Err(AuthorityError::KindNotPermitted { .. })
        ));
        let stranger =
            Record::signed(TEST_LOG, "funds", "expenditure", 0, vec![], &key(3)).unwrap();
        assert_eq!(set.authorise(&stranger), Err(AuthorityError::UnknownAuthor));
        let unsigned = Record::unsigned(TEST_LOG, "funds", "expenditure", 0, vec![]).unwrap();
        assert!(matches!(
            set.authorise(&unsigned),
            Err(AuthorityError::MissingSignature { .. })
        ));
    }

    #[test]
    fn encoding_is_canonical_and_strict() {
        let set = set();
        let bytes = set.encode();
        assert_eq!(AuthoritySet::decode(&bytes).unwrap(), set);
        assert_eq!(set.authorities()[0].name, "civil-registry");
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(AuthoritySet::decode(&trailing).is_err());
        // Same authorities in another order is not canonical.
        let mut w = Writer::new();
        w.u32(2);
        for a in set.authorities().iter().rev() {
            w.str(&a.name)
                .fixed(a.key.as_bytes())
                .u16(a.grants.len() as u16);
            for g in &a.grants {
                w.str(g);
            }
        }
        assert!(AuthoritySet::decode(&w.finish()).is_err());
    }

    #[test]
    fn invalid_sets_are_refused() {
        let dup_key = vec![
            Authority {
                name: "a".into(),
                key: key(1).verifying_key(),
                grants: vec![],
            },
            Authority {
                name: "b".into(),
                key: key(1).verifying_key(),
                grants: vec![],
            },
        ];
        assert!(AuthoritySet::new(dup_key).is_err());
        let bad_grant = vec![Authority {
            name: "a".into(),
            key: key(1).verifying_key(),
            grants: vec!["funds".into()],
        }];
        assert!(AuthoritySet::new(bad_grant).is_err());
    }

    #[test]
    fn weak_non_canonical_and_mixed_order_keys_are_refused() {
        use crate::signature::forgery::{IDENTITY_KEY, NON_CANONICAL_KEY, torsion_key};
        for (bytes, reason) in [
            (IDENTITY_KEY, "small-order"),
            (NON_CANONICAL_KEY, "canonical"),
            (torsion_key(&key(1)), "torsion"),
        ] {
            let authority = Authority {
                name: "forger".into(),
                key: VerifyingKey::from_bytes(&bytes).unwrap(),
                grants: vec!["health/*".into()],
            };
            let set = AuthoritySet {
                authorities: vec![authority.clone()],
            };
            for err in [
                AuthoritySet::new(vec![authority]).unwrap_err(),
                AuthoritySet::decode(&set.encode()).unwrap_err(),
            ] {
                assert!(
                    matches!(&err, AuthorityError::InvalidSet(m) if m.contains(reason)),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn freshness_window() {
        assert!(check_freshness(1_000, 1_500, 500).is_ok());
        assert!(check_freshness(2_000, 1_500, 500).is_ok());
        assert!(matches!(
            check_freshness(0, 1_501, 500),
            Err(AuthorityError::Stale { skew_ms: 1_501, .. })
        ));
    }
}
