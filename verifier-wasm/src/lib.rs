//! # zkaudit-verifier-wasm
//!
//! The web board's verifier: [`zkaudit_verifier`]'s checks behind one JSON
//! entry point, [`handle`], compiled to WebAssembly and run in the
//! visitor's browser (in a Web Worker). Nothing here checks anything
//! itself: every request is a call to the same functions `zkaudit verify`
//! calls, and every report is [`zkaudit_verifier::explain`]'s, so the page
//! and the command line say the same thing about the same file.
//!
//! A request is a JSON object with an `op`:
//!
//! | `op` | checks | answers |
//! |---|---|---|
//! | `verify` | any document `zkaudit verify` takes: a receipt, a claim, election bundle (or a share of its ballot proofs, for one of several workers) or funds bundle (with IPA parameters the page kept, optional), an opened ballot; a land title history (with the registrar's key); a vaccine lot's chain of custody (with the lot) | its kind and report lines; for a funds bundle, the parameters it derived, for the page to keep |
//! | `checkpoint` | a signed checkpoint against the log's key, and which of the given witnesses cosigned it | origin, size, root, cosigners |
//! | `extension` | that a newer checkpoint extends an older one (RFC 9162 consistency) | both sizes |
//! | `standing` | where a ballot receipt's ballot stands in an election bundle (or with a share of its ballot proofs) | one report line |
//!
//! Every answer is `{"ok": true, …}` or `{"ok": false, "error": "…"}`; a
//! request never panics the module on any input (malformed JSON included).
//! The raw interface the page's JavaScript calls is in `abi` (wasm32 only).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};
use zkaudit_circuits::elgamal::decode_point;
use zkaudit_circuits::funds::FundsParams;
use zkaudit_ledger::signature::parse_verifying_key;
use zkaudit_verifier::claim::{CLAIM_BUNDLE_FORMAT, ClaimBundle};
use zkaudit_verifier::election::challenge::{BallotChallenge, CHALLENGE_FORMAT};
use zkaudit_verifier::election::{ELECTION_BUNDLE_FORMAT, ElectionBundle, ProofShare};
use zkaudit_verifier::explain::{self, Level, Line};
use zkaudit_verifier::funds::{FUNDS_BUNDLE_FORMAT, FundsBundle};
use zkaudit_verifier::health::{EXTRACT_FORMAT, Extract, verify_trace};
use zkaudit_verifier::land::{HISTORY_FORMAT, HistoryBundle};
use zkaudit_verifier::{Receipt, open_checkpoint, verify_extension, verify_quorum};

#[cfg(target_arch = "wasm32")]
mod abi;

/// One request of the page.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
enum Request {
    /// Verify a document.
    Verify {
        /// The document (a receipt, a bundle, an opened ballot).
        document: Value,
        /// The log's signed-note verifier key.
        log_key: String,
        /// For an opened ballot: the election key as the page obtained it.
        #[serde(default)]
        election_key: Option<String>,
        /// For a land title history: the registrar's Ed25519 key, hex.
        #[serde(default)]
        registrar: Option<String>,
        /// For a health extract: the vaccine lot whose chain it holds.
        #[serde(default)]
        lot: Option<String>,
        /// For a funds bundle: IPA parameters an earlier check derived and
        /// the page kept, by `k` in decimal (halo2's format, base64).
        #[serde(default)]
        params: BTreeMap<String, String>,
        /// For an election bundle checked by several workers: the share of
        /// the ballot proofs this one verifies (everything else in full).
        #[serde(default)]
        share: Option<ProofShare>,
    },
    /// Open a signed checkpoint; see who cosigned it.
    Checkpoint {
        note: String,
        log_key: String,
        #[serde(default)]
        witness_keys: Vec<String>,
    },
    /// A newer checkpoint extends an older one.
    Extension {
        older: String,
        newer: String,
        proof: Vec<String>,
        log_key: String,
    },
    /// A ballot receipt's standing in an election bundle.
    Standing {
        receipt: Value,
        bundle: Value,
        log_key: String,
        /// The share of the bundle's ballot proofs this worker verifies
        /// (the page has the others verified elsewhere).
        #[serde(default)]
        share: Option<ProofShare>,
    },
}

/// Answers one JSON request with one JSON answer (see the crate docs).
pub fn handle(request: &[u8]) -> Vec<u8> {
    let answer = match serde_json::from_slice::<Request>(request) {
        Ok(request) => answer(request).unwrap_or_else(|error| json!({"ok": false, "error": error})),
        Err(e) => json!({"ok": false, "error": format!("not a request this verifier knows: {e}")}),
    };
    answer.to_string().into_bytes()
}

type Answer = Result<Value, String>;

fn answer(request: Request) -> Answer {
    match request {
        Request::Verify {
            document,
            log_key,
            election_key,
            registrar,
            lot,
            params,
            share,
        } => verify_document(
            document,
            &log_key,
            Context {
                election_key: election_key.as_deref(),
                registrar: registrar.as_deref(),
                lot: lot.as_deref(),
                params: &params,
                share,
            },
        ),
        Request::Checkpoint {
            note,
            log_key,
            witness_keys,
        } => checkpoint(&note, &log_key, &witness_keys),
        Request::Extension {
            older,
            newer,
            proof,
            log_key,
        } => {
            let (old, new) = verify_extension(older.as_bytes(), newer.as_bytes(), &proof, &log_key)
                .map_err(|e| {
                    format!("the log's history is NOT consistent with the earlier checkpoint: {e}")
                })?;
            Ok(json!({"ok": true, "from": old.size, "to": new.size}))
        }
        Request::Standing {
            receipt,
            bundle,
            log_key,
            share,
        } => standing(receipt, bundle, &log_key, share.unwrap_or(ProofShare::ALL)),
    }
}

/// A document of any format `zkaudit verify` knows, by its `format` field.
/// What some documents are checked against, beyond the log's key.
#[derive(Clone, Copy)]
struct Context<'a> {
    election_key: Option<&'a str>,
    registrar: Option<&'a str>,
    lot: Option<&'a str>,
    params: &'a BTreeMap<String, String>,
    share: Option<ProofShare>,
}

fn verify_document(document: Value, log_key: &str, context: Context) -> Answer {
    let format = document["format"].as_str().unwrap_or_default().to_owned();
    if context.share.is_some() && format != ELECTION_BUNDLE_FORMAT {
        return Err("only an election bundle's check can be split into shares".into());
    }
    let (kind, lines) = match format.as_str() {
        CLAIM_BUNDLE_FORMAT => {
            let bundle: ClaimBundle = parse(document, "claim bundle")?;
            let report = bundle
                .verify(log_key)
                .map_err(|e| format!("the claim bundle does NOT verify: {e}"))?;
            ("claim bundle", explain::claim(&bundle, &report))
        }
        ELECTION_BUNDLE_FORMAT => {
            let bundle: ElectionBundle = parse(document, "election bundle")?;
            let share = context.share.unwrap_or(ProofShare::ALL);
            let report = bundle
                .verify_share(log_key, 1, share)
                .map_err(|e| format!("the election bundle does NOT verify: {e}"))?;
            if context.share.is_some() {
                // The line a page combining the parts shows for each.
                return Ok(json!({
                    "ok": true,
                    "kind": "election bundle",
                    "lines": explain::election(&bundle, &report),
                    "share_line": explain::ballots_line(&report),
                }));
            }
            ("election bundle", explain::election(&bundle, &report))
        }
        FUNDS_BUNDLE_FORMAT => {
            let bundle: FundsBundle = parse(document, "funds bundle")?;
            return verify_funds(&bundle, log_key, context.params);
        }
        HISTORY_FORMAT => {
            let bundle: HistoryBundle = parse(document, "land title history")?;
            let registrar = context
                .registrar
                .and_then(|key| hex::decode(key).ok())
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .and_then(|bytes| parse_verifying_key(&bytes).ok())
                .ok_or("a title history is checked against the registrar's key, which the page did not give (or gave malformed)")?;
            let verified = bundle
                .verify(log_key, &registrar)
                .map_err(|e| format!("the history does NOT verify: {e}"))?;
            ("land title history", explain::land(&verified))
        }
        EXTRACT_FORMAT => {
            let lot = context
                .lot
                .ok_or("a health extract is checked as a lot's chain of custody: the page did not name the lot")?;
            let extract: Extract = parse(document, "health extract")?;
            let (verified, report) = verify_trace(&extract, log_key, lot)
                .map_err(|e| format!("lot {lot} fails its chain-of-custody check: {e}"))?;
            ("chain of custody", explain::trace(&verified, &report))
        }
        CHALLENGE_FORMAT => {
            let challenge: BallotChallenge = parse(document, "opened ballot")?;
            (
                "opened ballot",
                challenge_lines(&challenge, context.election_key)?,
            )
        }
        _ => {
            let receipt: Receipt = serde_json::from_value(document).map_err(|e| {
                format!(
                    "neither a zkaudit receipt nor a bundle this verifier knows (format {format:?}): {e}"
                )
            })?;
            let verified = receipt
                .verify(log_key)
                .map_err(|e| format!("the receipt does NOT verify: {e}"))?;
            let lines = explain::receipt(&receipt, &verified);
            return Ok(json!({
                "ok": true,
                "kind": "receipt",
                "lines": lines,
                "index": verified.index,
                "checkpoint": receipt.checkpoint,
                "checkpoint_size": verified.checkpoint.size,
                "domain": verified.record.domain(),
                "record_kind": verified.record.kind(),
            }));
        }
    };
    Ok(json!({"ok": true, "kind": kind, "lines": lines}))
}

/// Verifies a funds bundle. Its IPA parameters need no setup: they are
/// derived here, trusting nobody, which in a browser takes most of the
/// check (a minute and more for k = 14, half that for the current layout's
/// k = 13 demo shape), so the answer hands newly derived
/// ones back (`derived_params`) for the page to keep, and the next request
/// may bring them (`cached`). Cached parameters only ever speed a check
/// up: unreadable ones are ignored, and a bundle that fails with them is
/// checked again with parameters derived afresh, so a damaged cache cannot
/// change a verdict.
fn verify_funds(bundle: &FundsBundle, log_key: &str, cached: &BTreeMap<String, String>) -> Answer {
    let mut derived = None;
    let mut from_cache = None;
    let mut verified = bundle.verify(log_key, |k| {
        Ok(match read_params(cached, k) {
            Some(params) => {
                from_cache = Some(k);
                params
            }
            None => {
                let params = FundsParams::new(k);
                derived = Some(params.clone());
                params
            }
        })
    });
    if verified.is_err() && from_cache.is_some() {
        from_cache = None;
        verified = bundle.verify(log_key, |k| {
            let params = FundsParams::new(k);
            derived = Some(params.clone());
            Ok(params)
        });
    }
    let verified = verified.map_err(|e| format!("the funds bundle does NOT verify: {e}"))?;
    let mut lines = explain::funds(bundle, &verified);
    let mut answer = json!({"ok": true, "kind": "funds bundle"});
    if let Some(k) = from_cache {
        lines.push(Line::new(
            Level::Note,
            format!("the IPA parameters for 2^{k} rows were derived in this browser on an earlier visit and kept here"),
        ));
    }
    if let Some(params) = derived {
        let mut bytes = Vec::new();
        params.write(&mut bytes).map_err(|e| e.to_string())?;
        lines.push(Line::new(
            Level::Note,
            format!(
                "the IPA parameters for 2^{} rows were derived here, from nothing but their public seed (no setup to trust)",
                params.k()
            ),
        ));
        answer["derived_params"] = json!({ params.k().to_string(): BASE64.encode(bytes) });
    }
    answer["lines"] = json!(lines);
    Ok(answer)
}

/// The cached parameters for `k`, if the page kept readable ones.
fn read_params(cached: &BTreeMap<String, String>, k: u32) -> Option<FundsParams> {
    let bytes = BASE64.decode(cached.get(&k.to_string())?).ok()?;
    FundsParams::read(&mut bytes.as_slice())
        .ok()
        .filter(|params| params.k() == k)
}

fn challenge_lines(
    challenge: &BallotChallenge,
    election_key: Option<&str>,
) -> Result<Vec<Line>, String> {
    let key = election_key.ok_or(
        "an opened ballot is checked against the election's own key, which the page did not give",
    )?;
    let key = hex::decode(key)
        .ok()
        .and_then(|bytes| decode_point(&bytes).ok())
        .ok_or("the election key is not a valid point")?;
    let verified = challenge.verify(&key).map_err(|e| {
        format!("the opened ballot does NOT verify: the voting client did not prepare what it reveals: {e}")
    })?;
    let mut lines = vec![Line::new(
        Level::Ok,
        format!(
            "the ballot with fingerprint {} encrypts exactly these choices under election {:?}'s key:",
            hex::encode(verified.fingerprint),
            verified.election
        ),
    )];
    for (i, choice) in verified.choices.iter().enumerate() {
        lines.push(Line::new(
            Level::Detail,
            format!("    option {i}: {choice}"),
        ));
    }
    lines.push(Line::new(
        Level::Note,
        "this ballot is opened: it must never be cast; vote again (the client encrypts afresh)",
    ));
    Ok(lines)
}

fn checkpoint(note: &str, log_key: &str, witness_keys: &[String]) -> Answer {
    let checkpoint = open_checkpoint(note.as_bytes(), log_key).map_err(|e| e.to_string())?;
    let cosigned: Vec<&String> = witness_keys
        .iter()
        .filter(|key| verify_quorum(note.as_bytes(), std::slice::from_ref(*key), 1).is_ok())
        .collect();
    Ok(json!({
        "ok": true,
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root": hex::encode(checkpoint.root),
        "cosigned_by": cosigned,
    }))
}

fn standing(receipt: Value, bundle: Value, log_key: &str, share: ProofShare) -> Answer {
    let receipt: Receipt = parse(receipt, "receipt")?;
    let verified = receipt
        .verify(log_key)
        .map_err(|e| format!("the receipt does NOT verify: {e}"))?;
    let bundle: ElectionBundle = parse(bundle, "election bundle")?;
    let report = bundle
        .verify_share(log_key, 1, share)
        .map_err(|e| format!("the election bundle does NOT verify: {e}"))?;
    let standing = report.standing(&verified).map_err(|e| e.to_string())?;
    let line = explain::standing(&report, &standing, "your receipt and this bundle");
    Ok(json!({"ok": line.level != Level::Failed, "lines": [line]}))
}

fn parse<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("malformed {what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(k: u32, params: &FundsParams) -> BTreeMap<String, String> {
        let mut bytes = Vec::new();
        params.write(&mut bytes).unwrap();
        BTreeMap::from([(k.to_string(), BASE64.encode(bytes))])
    }

    #[test]
    fn kept_parameters_are_used_only_when_readable_and_for_their_own_k() {
        let params = FundsParams::new(4);
        let cache = kept(4, &params);
        let read = read_params(&cache, 4).expect("parameters kept for k = 4");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        read.write(&mut a).unwrap();
        params.write(&mut b).unwrap();
        assert_eq!(a, b);
        // Asked for another k, or kept under the wrong k: derived afresh.
        assert!(read_params(&cache, 5).is_none());
        assert!(read_params(&kept(5, &params), 5).is_none());
        // Damaged: not base64, cut short.
        let garbage = BTreeMap::from([("4".to_owned(), "not base64!".to_owned())]);
        assert!(read_params(&garbage, 4).is_none());
        let mut bytes = BASE64.decode(&cache["4"]).unwrap();
        bytes.truncate(bytes.len() / 2);
        let short = BTreeMap::from([("4".to_owned(), BASE64.encode(bytes))]);
        assert!(read_params(&short, 4).is_none());
    }
}
