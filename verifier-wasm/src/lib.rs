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
//! | `verify` | any document `zkaudit verify` takes: a receipt, a claim, election or funds bundle, an opened ballot; a land title history (with the registrar's key); a vaccine lot's chain of custody (with the lot) | its kind and report lines |
//! | `checkpoint` | a signed checkpoint against the log's key, and which of the given witnesses cosigned it | origin, size, root, cosigners |
//! | `extension` | that a newer checkpoint extends an older one (RFC 9162 consistency) | both sizes |
//! | `standing` | where a ballot receipt's ballot stands in an election bundle | one report line |
//!
//! Every answer is `{"ok": true, …}` or `{"ok": false, "error": "…"}`; a
//! request never panics the module on any input (malformed JSON included).
//! The raw interface the page's JavaScript calls is in `abi` (wasm32 only).

use serde::Deserialize;
use serde_json::{Value, json};
use zkaudit_circuits::elgamal::decode_point;
use zkaudit_circuits::funds::FundsParams;
use zkaudit_ledger::signature::parse_verifying_key;
use zkaudit_verifier::claim::{CLAIM_BUNDLE_FORMAT, ClaimBundle};
use zkaudit_verifier::election::challenge::{BallotChallenge, CHALLENGE_FORMAT};
use zkaudit_verifier::election::{ELECTION_BUNDLE_FORMAT, ElectionBundle};
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
        } => verify_document(
            document,
            &log_key,
            Context {
                election_key: election_key.as_deref(),
                registrar: registrar.as_deref(),
                lot: lot.as_deref(),
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
        } => standing(receipt, bundle, &log_key),
    }
}

/// A document of any format `zkaudit verify` knows, by its `format` field.
/// What some documents are checked against, beyond the log's key.
#[derive(Clone, Copy, Default)]
struct Context<'a> {
    election_key: Option<&'a str>,
    registrar: Option<&'a str>,
    lot: Option<&'a str>,
}

fn verify_document(document: Value, log_key: &str, context: Context) -> Answer {
    let format = document["format"].as_str().unwrap_or_default().to_owned();
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
            let report = bundle
                .verify_with_threads(log_key, 1)
                .map_err(|e| format!("the election bundle does NOT verify: {e}"))?;
            ("election bundle", explain::election(&bundle, &report))
        }
        FUNDS_BUNDLE_FORMAT => {
            let bundle: FundsBundle = parse(document, "funds bundle")?;
            // IPA parameters need no setup: derived here, trusting nobody.
            let verified = bundle
                .verify(log_key, |k| Ok(FundsParams::new(k)))
                .map_err(|e| format!("the funds bundle does NOT verify: {e}"))?;
            ("funds bundle", explain::funds(&bundle, &verified))
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

fn standing(receipt: Value, bundle: Value, log_key: &str) -> Answer {
    let receipt: Receipt = parse(receipt, "receipt")?;
    let verified = receipt
        .verify(log_key)
        .map_err(|e| format!("the receipt does NOT verify: {e}"))?;
    let bundle: ElectionBundle = parse(bundle, "election bundle")?;
    let report = bundle
        .verify_with_threads(log_key, 1)
        .map_err(|e| format!("the election bundle does NOT verify: {e}"))?;
    let standing = report.standing(&verified).map_err(|e| e.to_string())?;
    let line = explain::standing(&report, &standing, "your receipt and this bundle");
    Ok(json!({"ok": line.level != Level::Failed, "lines": [line]}))
}

fn parse<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("malformed {what}: {e}"))
}
