//! Fuzzing the log layer's parsers: checkpoint bodies and signed notes,
//! signature lines and cosignatures, note keys, tile paths, hash tiles and
//! entry bundles, and the witness's `add-checkpoint` requests (parsed, and
//! handled end to end by a witness).
//!
//! Seeds are the signed checkpoints of the golden bundles, and notes, keys,
//! tiles and requests made here by a test log and witness. See
//! `fuzz/mod.rs` for the invariants and `ZKAUDIT_FUZZ_CASES`.

mod fuzz;

use ed25519_dalek::SigningKey;
use fuzz::{Checked, Target, golden_checkpoints, golden_records};
use proptest::prelude::*;
use signed_note::Note;
use zkaudit_ledger::merkle::{Hash, MemoryTree, leaf_hash};
use zkaudit_ledger::note::{
    Checkpoint, CosignerKey, NoteSigningKey, NoteVerifierKey, add_signature_lines, open_checkpoint,
    parse_checkpoint_unverified, sign_checkpoint, split_signature_lines, verify_cosignatures,
};
use zkaudit_ledger::tiles::{TilePath, decode_entry_bundle, decode_hash_tile, encode_entry_bundle};
use zkaudit_ledger::witness::{AddCheckpointRequest, MemoryWitnessState, Witness};

/// Cases per property by default.
const CASES: u32 = 1000;

/// The demo log's verifier key (the golden checkpoints are signed by it).
const GOLDEN_LOG_KEY: &str =
    "zkaudit.localhost/dev-log+10fb0d54+AXmEFbD1F5e/wfF2GoucaiVbBrL1ftehLL0Rf/OERIO0";

/// A test log of eight leaves, its key, and a witness's key.
struct TestLog {
    key: NoteSigningKey,
    witness: CosignerKey,
    tree: MemoryTree,
}

impl TestLog {
    fn new() -> Self {
        let key =
            NoteSigningKey::from_signing_key("log.example/a", SigningKey::from_bytes(&[1; 32]))
                .expect("a valid key name");
        let witness =
            CosignerKey::from_signing_key("witness.example/w", SigningKey::from_bytes(&[2; 32]))
                .expect("a valid key name");
        let mut tree = MemoryTree::new();
        tree.extend((0u64..8).map(|i| leaf_hash(&i.to_be_bytes())));
        Self { key, witness, tree }
    }

    fn checkpoint(&self, size: u64) -> Checkpoint {
        Checkpoint::new(
            self.key.name(),
            size,
            self.tree.root_at(size).expect("size ≤ 8"),
        )
    }

    fn note(&self, size: u64) -> Vec<u8> {
        sign_checkpoint(&self.checkpoint(size), &self.key).expect("a valid checkpoint")
    }

    /// The note at `size` with the witness's cosignature.
    fn cosigned(&self, size: u64) -> Vec<u8> {
        let body = self.checkpoint(size).to_body();
        let line = self
            .witness
            .cosign(body.as_bytes(), 1_700_000_000)
            .expect("cosigns");
        add_signature_lines(&self.note(size), &[line]).expect("a valid note")
    }

    /// An `add-checkpoint` request from `old` to `new`.
    fn request(&self, old: u64, new: u64) -> Vec<u8> {
        let consistency_proof = if old == 0 {
            Vec::new()
        } else {
            self.tree
                .consistency_proof(old, new)
                .expect("old ≤ new ≤ 8")
        };
        AddCheckpointRequest {
            old_size: old,
            consistency_proof,
            checkpoint: self.note(new),
        }
        .to_bytes()
    }

    /// Every signed note the test makes, and the golden ones.
    fn notes(&self) -> Vec<Vec<u8>> {
        let mut notes: Vec<Vec<u8>> = golden_checkpoints()
            .into_iter()
            .map(String::into_bytes)
            .collect();
        notes.extend([self.note(1), self.note(8), self.cosigned(5)]);
        notes
    }
}

/// The signature lines of a signed note (everything after the blank line).
fn signature_lines(note: &[u8]) -> Vec<u8> {
    let text = Note::from_bytes(note).expect("a signed note").text().len();
    note[text + 1..].to_vec()
}

/// A checkpoint parsed from a note has exactly the note's text as its body.
fn checkpoint_matches_note(note: &[u8], checkpoint: &Checkpoint) -> Checked {
    let parsed = Note::from_bytes(note).expect("a note whose checkpoint parsed is a note");
    let body = checkpoint.to_body();
    prop_assert_eq!(body.as_bytes(), parsed.text());
    Ok(true)
}

#[test]
fn checkpoints_and_notes_are_canonical_and_never_panic() {
    let log = TestLog::new();
    let notes = log.notes();
    let bodies: Vec<String> = notes
        .iter()
        .map(|n| String::from_utf8(Note::from_bytes(n).unwrap().text().to_vec()).unwrap())
        .chain([{
            let mut extended = log.checkpoint(3);
            extended.extensions = vec!["ext one".into(), "— two".into()];
            extended.to_body()
        }])
        .collect();
    let lines: Vec<Vec<u8>> = notes.iter().map(|n| signature_lines(n)).collect();
    let log_vkey = log.key.verifier_key_string();
    let witness_vkey = log.witness.verifier_key_string();
    let cosignature = signature_lines(&log.cosigned(5));
    let targets = vec![
        Target::text(
            "checkpoint body",
            bodies,
            Checkpoint::parse_body,
            Checkpoint::to_body,
        ),
        Target::codec(
            "signed note",
            notes.clone(),
            Note::from_bytes,
            Note::to_bytes,
        ),
        Target::new("checkpoint note (unverified)", notes.clone(), |note| {
            match parse_checkpoint_unverified(note) {
                Ok(checkpoint) => checkpoint_matches_note(note, &checkpoint),
                Err(_) => Ok(false),
            }
        }),
        Target::new("checkpoint note (opened)", notes.clone(), move |note| {
            let opened = [GOLDEN_LOG_KEY, log_vkey.as_str()]
                .iter()
                .find_map(|key| open_checkpoint(note, key).ok());
            match opened {
                Some(checkpoint) => checkpoint_matches_note(note, &checkpoint),
                None => Ok(false),
            }
        }),
        Target::new("cosigned note", vec![log.cosigned(5)], move |note| {
            Ok(verify_cosignatures(note, &[witness_vkey.as_str()]).is_ok_and(|v| !v.is_empty()))
        }),
        Target::codec("signature lines", lines, split_signature_lines, |lines| {
            lines.concat()
        }),
        // The note is untrusted here; adding the same lines again changes nothing.
        Target::new("note with added signature lines", notes, move |note| {
            let Ok(added) = add_signature_lines(note, &[&cosignature]) else {
                return Ok(false);
            };
            prop_assert!(Note::from_bytes(&added).is_ok(), "the result is not a note");
            let again = add_signature_lines(&added, &[&cosignature]);
            prop_assert_eq!(
                again.ok(),
                Some(added),
                "adding the lines twice changed the note"
            );
            Ok(true)
        }),
    ];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 400);
}

#[test]
fn note_keys_are_canonical_and_never_panic() {
    let log = TestLog::new();
    let vkeys = vec![
        GOLDEN_LOG_KEY.to_owned(),
        log.key.verifier_key_string(),
        log.witness.verifier_key_string(),
    ];
    fn skey(s: &str) -> String {
        s.to_owned()
    }
    let targets = vec![
        Target::text(
            "verifier key",
            vkeys,
            NoteVerifierKey::parse,
            NoteVerifierKey::to_vkey_string,
        ),
        Target::text(
            "log signing key",
            vec![skey(&log.key.to_skey_string())],
            |s| NoteSigningKey::from_skey_str(s).map(|k| skey(&k.to_skey_string())),
            String::clone,
        ),
        Target::text(
            "cosigner signing key",
            vec![skey(&log.witness.to_skey_string())],
            |s| CosignerKey::from_skey_str(s).map(|k| skey(&k.to_skey_string())),
            String::clone,
        ),
    ];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 200);
}

#[test]
fn tiles_are_canonical_and_never_panic() {
    let paths = [
        TilePath::new_hash(0, 0, 256),
        TilePath::new_hash(1, 1234, 5),
        TilePath::new_hash(63, u64::MAX, 255),
        TilePath::new_entries(1_234_567, 256),
        TilePath::new_entries(0, 1),
    ]
    .into_iter()
    .map(|p| p.expect("a valid tile").to_path())
    .collect();
    let hashes: Vec<Hash> = (0u8..5).map(|i| leaf_hash(&[i])).collect();
    let tiles = vec![hashes[..1].concat(), hashes.concat()];
    let records = golden_records();
    let bundles = [&records[..1], &records[..5], &records[7..9]]
        .iter()
        .map(|entries| {
            let entries: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            encode_entry_bundle(&entries).expect("records fit a bundle")
        })
        .collect();
    let targets = vec![
        Target::text("tile path", paths, TilePath::parse, TilePath::to_path),
        Target::codec("hash tile", tiles, decode_hash_tile, |hashes| {
            hashes.concat()
        }),
        Target::codec("entry bundle", bundles, decode_entry_bundle, |entries| {
            let entries: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            encode_entry_bundle(&entries).expect("decoded bundles re-encode")
        }),
    ];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 1200);
}

#[test]
fn witness_requests_are_canonical_and_never_panic() {
    let log = TestLog::new();
    // In this order, each is accepted by the witness below.
    let requests = vec![log.request(0, 4), log.request(4, 8), log.request(8, 8)];
    let mut parsed = requests.clone();
    parsed.push(log.request(3, 7));
    let witness = Witness::new(
        CosignerKey::from_signing_key("witness.example/w", SigningKey::from_bytes(&[2; 32]))
            .expect("a valid key name"),
        &[log.key.verifier_key_string()],
        Box::new(MemoryWitnessState::new()),
    )
    .expect("a valid witness")
    .with_clock(|| 1_700_000_000);
    let targets = vec![
        Target::codec(
            "add-checkpoint request",
            parsed,
            AddCheckpointRequest::parse,
            AddCheckpointRequest::to_bytes,
        ),
        // The whole request path of a witness, whose state moves on as
        // requests succeed: whatever it answers, it cosigns only what it
        // verified.
        Target::new("witness add-checkpoint", requests, move |body| {
            let Ok(lines) = witness.add_checkpoint(body) else {
                return Ok(false);
            };
            let request = AddCheckpointRequest::parse(body).expect("accepted bodies parse");
            let note = add_signature_lines(&request.checkpoint, &[&lines]).expect("a note");
            let key = witness.verifier_key_string();
            let cosigned = verify_cosignatures(&note, &[key]).map(|v| v.len());
            prop_assert_eq!(cosigned.ok(), Some(1), "the cosignature does not verify");
            Ok(true)
        }),
    ];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 1200);
}

proptest! {
    #![proptest_config(fuzz::config(fuzz::cases(CASES)))]

    /// Generated tile paths parse back to themselves.
    #[test]
    fn generated_tile_paths_round_trip(
        level in 0u8..=63,
        index in any::<u64>(),
        width in 1u16..=256,
        entries in any::<bool>(),
    ) {
        let tile = if entries {
            TilePath::new_entries(index, width)
        } else {
            TilePath::new_hash(level, index, width)
        }
        .expect("a valid tile");
        prop_assert_eq!(TilePath::parse(&tile.to_path()).ok(), Some(tile));
    }

    /// Generated checkpoints that validate survive their body, signing and
    /// opening unchanged.
    #[test]
    fn generated_checkpoints_round_trip(
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        extensions in proptest::collection::vec("[ -~—]{1,30}", 0..3),
    ) {
        let log = TestLog::new();
        let checkpoint = Checkpoint { extensions, ..Checkpoint::new(log.key.name(), size, root) };
        prop_assume!(checkpoint.validate().is_ok());
        let parsed = Checkpoint::parse_body(&checkpoint.to_body()).ok();
        prop_assert_eq!(parsed.as_ref(), Some(&checkpoint));
        let note = sign_checkpoint(&checkpoint, &log.key).expect("a valid checkpoint");
        let opened = open_checkpoint(&note, &log.key.verifier_key_string()).ok();
        prop_assert_eq!(opened, Some(checkpoint));
    }
}
