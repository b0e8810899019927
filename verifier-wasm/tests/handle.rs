//! The web verifier's JSON interface, natively: the same answers the page
//! gets from the WebAssembly build. Good documents verify; tampered ones,
//! a forked history and malformed requests get `ok: false` and a reason.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::{Value, json};
use zkaudit_ledger::merkle::{MemoryTree, leaf_hash};
use zkaudit_ledger::note::{
    Checkpoint, CosignerKey, NoteSigningKey, add_signature_lines, sign_checkpoint,
};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::{RECEIPT_FORMAT, Receipt};
use zkaudit_verifier_wasm::handle;

const ORIGIN: &str = "test.example/web";

fn ask(request: Value) -> Value {
    serde_json::from_slice(&handle(request.to_string().as_bytes())).unwrap()
}

/// A log of `notices` entries written by one author; its key, its
/// leaves and tree, and a signed checkpoint of each size.
struct Log {
    key: NoteSigningKey,
    tree: MemoryTree,
    leaves: Vec<Vec<u8>>,
}

impl Log {
    fn new(seed: u64, notices: &[&str]) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let key = NoteSigningKey::generate(ORIGIN, &mut rng).unwrap();
        let author = NoteSigningKey::generate("notary", &mut rng).unwrap();
        let mut log = Self {
            key,
            tree: MemoryTree::new(),
            leaves: Vec::new(),
        };
        for (i, text) in notices.iter().enumerate() {
            let record = Record::signed(
                ORIGIN,
                "ledger",
                "notice",
                i as u64,
                text.as_bytes().to_vec(),
                &author,
            )
            .unwrap();
            let leaf = record.encode();
            log.tree.push(leaf_hash(&leaf));
            log.leaves.push(leaf);
        }
        log
    }

    fn checkpoint(&self, size: u64) -> String {
        let checkpoint = Checkpoint::new(ORIGIN, size, self.tree.root_at(size).unwrap());
        String::from_utf8(sign_checkpoint(&checkpoint, &self.key).unwrap()).unwrap()
    }

    fn receipt(&self, index: u64) -> Receipt {
        let size = self.leaves.len() as u64;
        let leaf = &self.leaves[index as usize];
        Receipt {
            format: RECEIPT_FORMAT.into(),
            origin: ORIGIN.into(),
            index,
            record_id: hex::encode(Record::decode(leaf).unwrap().id()),
            record: base64_encode(leaf),
            inclusion_proof: self
                .tree
                .inclusion_proof(index, size)
                .unwrap()
                .iter()
                .map(hex::encode)
                .collect(),
            checkpoint: self.checkpoint(size),
            duplicate: false,
        }
    }

    fn consistency(&self, from: u64, to: u64) -> Vec<String> {
        self.tree
            .consistency_proof(from, to)
            .unwrap()
            .iter()
            .map(hex::encode)
            .collect()
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_receipt_verifies_and_a_tampered_one_does_not() {
    let log = Log::new(1, &["one", "two", "three"]);
    let vkey = log.key.verifier_key_string();
    let receipt = serde_json::to_value(log.receipt(1)).unwrap();
    let answer = ask(json!({"op": "verify", "log_key": vkey, "document": receipt}));
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["kind"], "receipt");
    assert_eq!(answer["index"], 1);
    assert_eq!(answer["checkpoint_size"], 3);
    let lines = answer["lines"].to_string();
    assert!(lines.contains("ledger/notice"), "{lines}");

    let mut tampered = receipt.clone();
    tampered["index"] = 2.into();
    let answer = ask(json!({"op": "verify", "log_key": vkey, "document": tampered}));
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("does NOT verify"),
        "{answer}"
    );

    let other = Log::new(2, &["x"]);
    let answer = ask(
        json!({"op": "verify", "log_key": other.key.verifier_key_string(), "document": receipt}),
    );
    assert_eq!(answer["ok"], false, "another log's key: {answer}");
}

#[test]
fn checkpoints_and_their_extensions() {
    let log = Log::new(3, &["a", "b", "c", "d", "e"]);
    let vkey = log.key.verifier_key_string();
    let answer = ask(
        json!({"op": "checkpoint", "note": log.checkpoint(5), "log_key": vkey, "witness_keys": []}),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["size"], 5);
    assert_eq!(answer["cosigned_by"], json!([]));

    let extension = |older: String, proof: Vec<String>| {
        ask(
            json!({"op": "extension", "older": older, "newer": log.checkpoint(5), "proof": proof, "log_key": vkey}),
        )
    };
    let answer = extension(log.checkpoint(2), log.consistency(2, 5));
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(
        (answer["from"].as_u64(), answer["to"].as_u64()),
        (Some(2), Some(5))
    );

    // The same key (same seed) signed another history of two entries: a fork.
    let fork = Log::new(3, &["a", "B"]);
    let answer = extension(fork.checkpoint(2), log.consistency(2, 5));
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("NOT consistent"),
        "{answer}"
    );

    // A checkpoint not signed by the log.
    let stranger = Log::new(4, &["a"]);
    let answer = ask(json!({"op": "checkpoint", "note": stranger.checkpoint(1), "log_key": vkey}));
    assert_eq!(answer["ok"], false, "{answer}");
}

#[test]
fn malformed_requests_get_a_reason_not_a_crash() {
    for request in [
        &b"not json"[..],
        b"{}",
        b"{\"op\":\"launch\"}",
        b"{\"op\":\"verify\"}",
        b"{\"op\":\"verify\",\"log_key\":\"k\",\"document\":{\"format\":\"zkaudit-election-bundle/v1\"}}",
        b"{\"op\":\"verify\",\"log_key\":\"k\",\"document\":[1,2,3]}",
        b"{\"op\":\"checkpoint\",\"note\":\"\",\"log_key\":\"\"}",
        // A share past the last part, and a share of what cannot be split.
        b"{\"op\":\"verify\",\"log_key\":\"k\",\"share\":{\"part\":2,\"parts\":2},\"document\":{\"format\":\"zkaudit-election-bundle/v1\"}}",
        b"{\"op\":\"verify\",\"log_key\":\"k\",\"share\":{\"part\":0,\"parts\":0},\"document\":{}}",
        b"{\"op\":\"verify\",\"log_key\":\"k\",\"share\":{\"part\":0,\"parts\":2},\"document\":{\"format\":\"zkaudit-funds-bundle/v1\"}}",
    ] {
        let answer: Value = serde_json::from_slice(&handle(request)).unwrap();
        assert_eq!(answer["ok"], false, "{}: {answer}", String::from_utf8_lossy(request));
        assert!(!answer["error"].as_str().unwrap().is_empty());
    }
}

#[test]
fn a_checkpoint_names_exactly_the_witnesses_that_cosigned_it() {
    let log = Log::new(5, &["a", "b"]);
    let vkey = log.key.verifier_key_string();
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let signer = CosignerKey::generate("witness.example/one", &mut rng).unwrap();
    let silent = CosignerKey::generate("witness.example/two", &mut rng).unwrap();
    let checkpoint = Checkpoint::new(ORIGIN, 2, log.tree.root_at(2).unwrap());
    let note = sign_checkpoint(&checkpoint, &log.key).unwrap();
    let line = signer
        .cosign(checkpoint.to_body().as_bytes(), 1_700_000_000)
        .unwrap();
    let cosigned = String::from_utf8(add_signature_lines(&note, &[line]).unwrap()).unwrap();
    let witnesses = [signer.verifier_key_string(), silent.verifier_key_string()];
    let answer = ask(
        json!({"op": "checkpoint", "note": cosigned, "log_key": vkey, "witness_keys": witnesses}),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["cosigned_by"], json!([witnesses[0]]), "{answer}");

    // A cosignature over another checkpoint does not count.
    let other = Checkpoint::new(ORIGIN, 1, log.tree.root_at(1).unwrap());
    let stale = signer
        .cosign(other.to_body().as_bytes(), 1_700_000_000)
        .unwrap();
    let mislabelled = String::from_utf8(add_signature_lines(&note, &[stale]).unwrap()).unwrap();
    let answer = ask(
        json!({"op": "checkpoint", "note": mislabelled, "log_key": vkey, "witness_keys": witnesses}),
    );
    assert_eq!(answer["cosigned_by"], json!([]), "{answer}");
}
