//! The HTTP API end to end, in process through the router: authority writes
//! and every way they are refused, receipts, proofs, C2SP tiles, OpenAPI
//! and metrics.

mod common;

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::app::App;
use common::*;
use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_ledger::merkle;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::tiles;
use zkaudit_verifier::{Receipt, verify_extension};

/// The origin of the log these tests run.
const LOG: &str = "test.zkaudit/log";

struct Keys {
    registry: NoteSigningKey,
    ministry: NoteSigningKey,
}

/// Writes a config with a log key and two authorities.
fn write_config(dir: &Path) -> Keys {
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let log = NoteSigningKey::generate(LOG, &mut rng).unwrap();
    let registry = NoteSigningKey::generate("civil-registry", &mut rng).unwrap();
    let ministry = NoteSigningKey::generate("ministry", &mut rng).unwrap();
    std::fs::write(dir.join("log.key"), log.to_skey_string().as_bytes()).unwrap();
    let config = format!(
        r#"
[log]
key_file = "log.key"
max_batch = 64
timestamp_window_secs = 60

[server]
max_body_bytes = 100000

[[authority]]
name = "civil-registry"
verifier_key = "{}"
kinds = ["ledger/notice"]

[[authority]]
name = "ministry"
verifier_key = "{}"
kinds = ["funds/*"]
"#,
        registry.verifier_key_string(),
        ministry.verifier_key_string()
    );
    std::fs::write(dir.join("zkaudit.toml"), config).unwrap();
    Keys { registry, ministry }
}

/// POSTs a JSON body of `len` bytes: more than the configured limit.
fn post_oversized(app: &App, len: usize) -> (u16, serde_json::Value) {
    let body = format!("{{\"record\": \"{}\"}}", "A".repeat(len));
    app.send(
        axum::http::Method::POST,
        "/v1/log/entries",
        "application/json",
        body,
    )
}

fn error_code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

#[test]
fn authority_writes_receipts_proofs_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    let keys = write_config(&data);
    let app = App::start(&data);

    let (_, info) = app.get_json("/v1/log");
    let log_key = info["verifier_key"].as_str().unwrap().to_owned();
    assert_eq!(info["origin"], LOG);
    // The authority set was logged at start, by the log.
    assert_eq!(info["size"], 1);
    let (_, first) = app.get_json("/v1/log/entries/0");
    assert_eq!(first["kind"], "authority-set");

    // An authorised write: 201 with a receipt that verifies offline.
    let record = notice_for(LOG, &keys.registry, "tender 2026-17 published, sha3 0xabc");
    let (status, body) = app.post_record(&record);
    assert_eq!(status, 201, "{body}");
    let receipt: Receipt = serde_json::from_value(body).unwrap();
    let verified = receipt.verify(&log_key).unwrap();
    assert_eq!(verified.index, 1);
    assert_eq!(verified.record, record);

    // The same record again: the existing index, nothing logged twice.
    let (status, body) = app.post_record(&record);
    assert_eq!(status, 200);
    assert_eq!(body["index"], 1);
    assert_eq!(body["duplicate"], true);

    // A tampered receipt does not verify.
    let mut forged = receipt.clone();
    forged.index = 0;
    assert!(forged.verify(&log_key).is_err());

    // Refusals, each with its code; none changes the log.
    let stranger = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(99));
    let unknown =
        Record::signed(LOG, "ledger", "notice", now_ms(), b"hi".to_vec(), &stranger).unwrap();
    let (status, body) = app.post_record(&unknown);
    assert_eq!((status, error_code(&body)), (403, "not_authorised"));

    let not_granted = notice_for(LOG, &keys.ministry, "the ministry may not write notices");
    let (status, body) = app.post_record(&not_granted);
    assert_eq!((status, error_code(&body)), (403, "not_authorised"));

    let log_only = Record::signed(
        LOG,
        "ledger",
        "authority-set",
        now_ms(),
        vec![],
        &keys.registry,
    )
    .unwrap();
    let (status, body) = app.post_record(&log_only);
    assert_eq!((status, error_code(&body)), (403, "log_only_kind"));

    let stale = Record::signed(
        LOG,
        "ledger",
        "notice",
        now_ms() - 3_600_000,
        b"old".to_vec(),
        &keys.registry,
    )
    .unwrap();
    let (status, body) = app.post_record(&stale);
    assert_eq!((status, error_code(&body)), (422, "stale_record"));

    let unknown_kind = Record::signed(
        LOG,
        "ledger",
        "decree",
        now_ms(),
        b"x".to_vec(),
        &keys.registry,
    )
    .unwrap();
    let (status, body) = app.post_record(&unknown_kind);
    assert_eq!((status, error_code(&body)), (422, "unknown_kind"));

    let mut bad_sig = notice_for(LOG, &keys.registry, "signature will be broken").encode();
    let last = bad_sig.len() - 1;
    bad_sig[last] ^= 1;
    let (status, body) = app.post_json(
        "/v1/log/entries",
        &serde_json::json!({ "record": BASE64.encode(&bad_sig) }),
    );
    assert_eq!((status, error_code(&body)), (400, "bad_signature"));

    let (status, body) = app.post_json(
        "/v1/log/entries",
        &serde_json::json!({ "record": "not base64!" }),
    );
    assert_eq!((status, error_code(&body)), (400, "malformed_record"));

    // Issue 12, defect 5: a record signed by a trusted key for another log
    // is refused here, and so is one that names no log (version 1), which
    // could have been lifted from any log.
    let for_other_log = notice_for("other.example/log", &keys.registry, "meant elsewhere");
    let (status, body) = app.post_record(&for_other_log);
    assert_eq!((status, error_code(&body)), (403, "wrong_log"), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("other.example/log"),
        "{body}"
    );
    let unbound = legacy_record(&keys.registry, "ledger", "notice", now_ms(), b"v1");
    let (status, body) = app.post_record_bytes(&unbound);
    assert_eq!((status, error_code(&body)), (403, "wrong_log"), "{body}");

    let (status, body) = post_oversized(&app, 200_000);
    assert_eq!(
        (status, error_code(&body)),
        (413, "body_too_large"),
        "oversized bodies are refused"
    );

    let (_, info) = app.get_json("/v1/log");
    assert_eq!(info["size"], 2, "refused writes logged nothing");

    // More entries, then proofs by index, by leaf hash, and consistency.
    let mut receipts = vec![receipt];
    for i in 0..300 {
        let (status, body) =
            app.post_record(&notice_for(LOG, &keys.registry, &format!("notice {i}")));
        assert_eq!(status, 201);
        receipts.push(serde_json::from_value(body).unwrap());
    }
    let (_, info) = app.get_json("/v1/log");
    let size = info["size"].as_u64().unwrap();
    assert_eq!(size, 302);
    let root = zkaudit_verifier::parse_hash("root", info["root"].as_str().unwrap()).unwrap();

    let (status, inc) = app.get_json("/v1/log/entries/5/inclusion");
    assert_eq!(status, 200);
    let proof = zkaudit_verifier::parse_hashes(
        "proof",
        &serde_json::from_value::<Vec<String>>(inc["proof"].clone()).unwrap(),
    )
    .unwrap();
    let leaf = zkaudit_verifier::parse_hash("leaf", inc["leaf_hash"].as_str().unwrap()).unwrap();
    merkle::verify_inclusion(&leaf, 5, size, &proof, &root).unwrap();
    let (status, by_hash) = app.get_json(&format!(
        "/v1/log/inclusion?leaf_hash={}",
        inc["leaf_hash"].as_str().unwrap()
    ));
    assert_eq!(status, 200);
    assert_eq!(by_hash["index"], 5);
    let (status, _) = app.get_json(&format!("/v1/log/entries/{size}/inclusion"));
    assert_eq!(status, 404);
    let (status, body) = app.get_json(&format!("/v1/log/consistency?from=10&to={}", size + 1));
    assert_eq!((status, error_code(&body)), (422, "size_out_of_range"));

    // The first receipt's checkpoint is extended by the latest one.
    let (_, latest) = app.get_json("/v1/log/checkpoint");
    let old = &receipts[0];
    let old_size = old.checkpoint.lines().nth(1).unwrap();
    let (_, cons) = app.get_json(&format!("/v1/log/consistency?from={old_size}"));
    let cons: Vec<String> = serde_json::from_value(cons["proof"].clone()).unwrap();
    verify_extension(
        old.checkpoint.as_bytes(),
        latest["note"].as_str().unwrap().as_bytes(),
        &cons,
        &log_key,
    )
    .unwrap();

    // C2SP tiles: the checkpoint, a full and a partial level-0 tile and the
    // entry bundles rebuild the root.
    let (status, cp) = app.get_bytes("/checkpoint");
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8(cp).unwrap(),
        latest["note"].as_str().unwrap()
    );
    let (status, full) = app.get_bytes("/tile/0/000");
    assert_eq!(status, 200);
    assert_eq!(full.len(), 256 * 32);
    let partial_width = size - 256;
    let (status, partial) = app.get_bytes(&format!("/tile/0/001.p/{partial_width}"));
    assert_eq!(status, 200);
    let leaf_hashes: Vec<[u8; 32]> = full
        .chunks(32)
        .chain(partial.chunks(32))
        .map(|c| c.try_into().unwrap())
        .collect();
    assert_eq!(merkle::root_from_leaves(&leaf_hashes), root);
    let (status, bundle) = app.get_bytes(&format!("/tile/entries/001.p/{partial_width}"));
    assert_eq!(status, 200);
    let entries = tiles::decode_entry_bundle(&bundle).unwrap();
    assert_eq!(entries.len() as u64, partial_width);
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(merkle::leaf_hash(entry), leaf_hashes[256 + i]);
    }
    let (status, _) = app.get_bytes("/tile/0/002");
    assert_eq!(status, 404, "tiles beyond the tree do not exist");
    let (status, _) = app.get_bytes("/tile/0/0001");
    assert_eq!(status, 404, "non-canonical tile paths are refused");

    // OpenAPI generated from the handlers, and metrics.
    let (status, doc) = app.get_json("/openapi.json");
    assert_eq!(status, 200);
    for path in [
        "/v1/log",
        "/v1/log/entries",
        "/v1/log/entries/{index}/inclusion",
        "/v1/log/consistency",
        "/healthz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    let (status, metrics) = app.get_bytes("/metrics");
    assert_eq!(status, 200);
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("zkaudit_appends_total{outcome=\"appended\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("zkaudit_batch_size_bucket"));
}

#[test]
fn entries_logged_before_records_named_their_log_still_read_and_resubmit() {
    use std::sync::Arc;
    use zkaudit_ledger::sequencer::{Pending, Sequencer};
    use zkaudit_ledger::store::sqlite::SqliteStore;

    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    let keys = write_config(&data);
    // A log written by an earlier version: one version-1 notice.
    let legacy = legacy_record(&keys.registry, "ledger", "notice", now_ms(), b"old");
    {
        let log_key = NoteSigningKey::from_skey_str(
            std::fs::read_to_string(data.join("log.key"))
                .unwrap()
                .trim(),
        )
        .unwrap();
        let store = Arc::new(SqliteStore::open(&data).unwrap());
        let sequencer = Sequencer::open(store, log_key).unwrap();
        let record = Record::decode(&legacy).unwrap();
        assert_eq!(record.origin(), None);
        sequencer.integrate(vec![Pending::new(&record)]).unwrap();
    }
    let app = App::start(&data);
    let (_, info) = app.get_json("/v1/log");
    let log_key = info["verifier_key"].as_str().unwrap().to_owned();
    // Served, and its receipt verifies offline.
    let (status, entry) = app.get_json("/v1/log/entries/0");
    assert_eq!((status, entry["kind"].as_str()), (200, Some("notice")));
    // Its exact resubmission is answered with its index, not refused.
    let (status, body) = app.post_record_bytes(&legacy);
    assert_eq!((status, body["index"].as_u64()), (200, Some(0)), "{body}");
    let receipt: Receipt = serde_json::from_value(body).unwrap();
    assert_eq!(receipt.verify(&log_key).unwrap().record.origin(), None);
    // A new version-1 record is refused.
    let fresh = legacy_record(&keys.registry, "ledger", "notice", now_ms(), b"new");
    let (status, body) = app.post_record_bytes(&fresh);
    assert_eq!((status, error_code(&body)), (403, "wrong_log"), "{body}");
}

/// An exact resubmission of a logged record is answered with its index even
/// when the record would be refused if it were new (here: stale under a
/// narrower window after a restart); a new record stamped alike is refused.
/// Notices are judged without reading the store, so this is the path where
/// the store is asked only once a check has failed.
#[test]
fn a_logged_record_is_answered_with_its_index_when_it_would_be_refused_now() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    let keys = write_config(&data);
    let stamped = |text: &str| {
        Record::signed(
            LOG,
            "ledger",
            "notice",
            now_ms() - 40_000,
            text.as_bytes().to_vec(),
            &keys.registry,
        )
        .unwrap()
    };
    let logged = stamped("logged forty seconds late");
    let index = {
        let app = App::start(&data);
        let (status, body) = app.post_record(&logged);
        assert_eq!(status, 201, "{body}");
        body["index"].as_u64().unwrap()
    };
    let config = std::fs::read_to_string(data.join("zkaudit.toml")).unwrap();
    std::fs::write(
        data.join("zkaudit.toml"),
        config.replace("timestamp_window_secs = 60", "timestamp_window_secs = 10"),
    )
    .unwrap();
    let app = App::start(&data);
    let size = app.log_size();
    let (status, body) = app.post_record(&logged);
    assert_eq!(
        (status, &body["index"], &body["duplicate"]),
        (200, &index.into(), &true.into()),
        "{body}"
    );
    let (status, body) = app.post_record(&stamped("new, and as late"));
    assert_eq!((status, error_code(&body)), (422, "stale_record"));
    // A fresh record is still logged, and the refusals logged nothing.
    let (status, body) = app.post_record(&notice_for(LOG, &keys.registry, "fresh"));
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.log_size(), size + 1);
}
