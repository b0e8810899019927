//! Who may write what, as the evidence shows it: the authority sets the log
//! logged, and the one check that an author was granted a kind.
//!
//! Claim, election and funds bundles all check their authors this way
//! against the set in force when the record was written.

use ed25519_dalek::VerifyingKey;
use zkaudit_ledger::authority::{AUTHORITY_SET_KIND, Authority, AuthoritySet, LEDGER_DOMAIN};
use zkaudit_ledger::record::Record;

use super::verified::VerifiedEvidence;
use crate::Result;
use crate::error::{ensure, malformed_as, mismatch};

impl VerifiedEvidence {
    /// The authority set the log logged at `index`.
    pub fn authority_set(&self, index: u64) -> Result<AuthoritySet> {
        decode(self.log_record(index, LEDGER_DOMAIN, AUTHORITY_SET_KIND, "authority set")?)
    }

    /// The authority set in force at `index`: the latest one the log logged
    /// before it. `what` names the record at `index` ("the election") for
    /// the error when the evidence holds none.
    pub fn authority_before(&self, index: u64, what: &str) -> Result<AuthoritySet> {
        let (_, record) = self
            .entries
            .iter()
            .filter(|(i, r)| *i < index && self.is_log_record(r, LEDGER_DOMAIN, AUTHORITY_SET_KIND))
            .max_by_key(|(i, _)| *i)
            .ok_or_else(|| mismatch(format!("the bundle lacks the authority set before {what}")))?;
        decode(record)
    }
}

/// The authority holding `key` in `set`, checked to be granted
/// `domain/kind`. `who` names the key's holder ("the agency") in the error
/// when it is not in the set.
pub(crate) fn granted<'s>(
    set: &'s AuthoritySet,
    key: &VerifyingKey,
    domain: &str,
    kind: &str,
    who: &str,
) -> Result<&'s Authority> {
    let authority = set
        .by_key(key)
        .ok_or_else(|| mismatch(format!("{who} is not a logged authority")))?;
    ensure(authority.may_write(domain, kind), || {
        format!(
            "authority {:?} may not write {domain}/{kind}",
            authority.name
        )
    })?;
    Ok(authority)
}

fn decode(record: &Record) -> Result<AuthoritySet> {
    AuthoritySet::decode(record.payload()).map_err(malformed_as("authority set"))
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use zkaudit_ledger::note::Checkpoint;

    use super::*;
    use crate::VerifyError;

    const T: u64 = 1_795_000_000_000;

    fn set(grants: &[(&SigningKey, &str, &str)]) -> AuthoritySet {
        AuthoritySet::new(
            grants
                .iter()
                .map(|(key, name, grant)| Authority {
                    name: (*name).into(),
                    key: key.verifying_key(),
                    grants: vec![(*grant).into()],
                })
                .collect(),
        )
        .unwrap()
    }

    const LOG: &str = "test.example/log";

    fn set_record(set: &AuthoritySet, signer: &SigningKey) -> Record {
        Record::signed(
            LOG,
            LEDGER_DOMAIN,
            AUTHORITY_SET_KIND,
            T,
            set.encode(),
            signer,
        )
        .unwrap()
    }

    /// Evidence (already verified: the lookups are what is tested) of
    /// `records` at their indices, the log's key being `log`.
    fn evidence(log: &SigningKey, records: Vec<(u64, Record)>) -> VerifiedEvidence {
        VerifiedEvidence {
            checkpoint: Checkpoint::new(LOG, 100, [0; 32]),
            log_key: log.verifying_key(),
            entries: records,
        }
    }

    #[test]
    fn the_set_in_force_is_the_latest_the_log_logged_before() {
        let log = SigningKey::from_bytes(&[1; 32]);
        let (agency, office) = (
            SigningKey::from_bytes(&[2; 32]),
            SigningKey::from_bytes(&[3; 32]),
        );
        let first = set(&[(&agency, "agency", "funds/*")]);
        let second = set(&[(&office, "office", "funds/report")]);
        let forged = set(&[(&agency, "agency", "funds/*")]);
        let notice = Record::signed(LOG, LEDGER_DOMAIN, "notice", T, vec![], &log).unwrap();
        let evidence = evidence(
            &log,
            vec![
                (3, set_record(&first, &log)),
                (5, notice),
                (8, set_record(&second, &log)),
                // Written by an authority, not the log: not an authority set in force.
                (9, set_record(&forged, &agency)),
            ],
        );
        assert_eq!(evidence.authority_before(4, "x").unwrap(), first);
        assert_eq!(evidence.authority_before(8, "x").unwrap(), first);
        assert_eq!(evidence.authority_before(9, "x").unwrap(), second);
        assert_eq!(evidence.authority_before(20, "x").unwrap(), second);
        let err = evidence.authority_before(3, "the report").unwrap_err();
        assert_eq!(
            err.to_string(),
            "mismatch: the bundle lacks the authority set before the report"
        );

        assert_eq!(evidence.authority_set(8).unwrap(), second);
        let err = evidence.authority_set(5).unwrap_err();
        assert!(err.to_string().contains("not the authority set"), "{err}");
        let err = evidence.authority_set(9).unwrap_err();
        assert!(err.to_string().contains("not signed by the log"), "{err}");
    }

    #[test]
    fn an_undecodable_set_in_force_is_refused_not_skipped() {
        let log = SigningKey::from_bytes(&[1; 32]);
        let agency = SigningKey::from_bytes(&[2; 32]);
        let good = set(&[(&agency, "agency", "funds/*")]);
        let garbage =
            Record::signed(LOG, LEDGER_DOMAIN, AUTHORITY_SET_KIND, T, vec![0xff], &log).unwrap();
        let evidence = evidence(&log, vec![(1, set_record(&good, &log)), (2, garbage)]);
        assert!(matches!(
            evidence.authority_before(3, "x"),
            Err(VerifyError::Malformed {
                what: "authority set",
                ..
            })
        ));
    }

    #[test]
    fn granted_names_the_authority_or_says_what_is_missing() {
        let (agency, stranger) = (
            SigningKey::from_bytes(&[2; 32]),
            SigningKey::from_bytes(&[4; 32]),
        );
        let set = set(&[(&agency, "agency", "funds/budget")]);
        let authority = granted(
            &set,
            &agency.verifying_key(),
            "funds",
            "budget",
            "the agency",
        );
        assert_eq!(authority.unwrap().name, "agency");
        let err = granted(
            &set,
            &agency.verifying_key(),
            "funds",
            "report",
            "the agency",
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "mismatch: authority \"agency\" may not write funds/report"
        );
        let err = granted(
            &set,
            &stranger.verifying_key(),
            "funds",
            "budget",
            "the agency",
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "mismatch: the agency is not a logged authority"
        );
    }
}
