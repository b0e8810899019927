//! C2SP signed-note, tlog-checkpoint, tlog-cosignature and tlog-witness
//! conformance of `zkaudit_ledger::note` and `zkaudit_ledger::witness`.
//!
//! External vectors and where they come from:
//! * the `PeterNeumann` and `EnochRoot` keys and signatures are the test
//!   vectors of Go's `golang.org/x/mod/sumdb/note` (note_test.go,
//!   example_test.go), also used by the `signed_note` crate's tests; the
//!   `EnochRoot` key is the one `note.GenerateKey` makes from an all-zero
//!   random source;
//! * the `example.com/behind-the-sofa` checkpoint, the cosignature line of
//!   `witness.example.com/w1` and the `cosignature/v1` message with
//!   `time 1679315147` are the examples of c2sp.org/tlog-checkpoint and
//!   c2sp.org/tlog-cosignature; the request body is the example of
//!   c2sp.org/tlog-witness. Their keys are not published, so only their
//!   syntax (and the cosignature's timestamp field) is checked.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng as _;
use sha2::{Digest, Sha256};
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use zkaudit_ledger::merkle::{MemoryTree, leaf_hash};
use zkaudit_ledger::note::{
    Checkpoint, CosignerKey, KeyType, NoteError, NoteSigningKey, NoteVerifierKey,
    add_signature_lines, cosignature_message, key_id, open_checkpoint, parse_verifier_key,
    sign_checkpoint, split_signature_lines, verify_cosignatures,
};
use zkaudit_ledger::witness::{
    AddCheckpointRequest, FileWitnessState, MAX_PROOF_HASHES, MemoryWitnessState, Witness,
    WitnessError, WitnessStateStore,
};

// --- Go sumdb/note vectors -------------------------------------------------

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const NEUMANN_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                            then you don't know what your problem is.\n";
const PETER_SIG_LINE: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG_LINE: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// --- C2SP examples -----------------------------------------------------------

const SPEC_CHECKPOINT_BODY: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const SPEC_LOG_SIG_LINE: &str = "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
const SPEC_COSIG_LINE: &str = "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn neumann_note(sig_lines: &[&str]) -> Vec<u8> {
    format!("{NEUMANN_TEXT}\n{}", sig_lines.concat()).into_bytes()
}

/// A tree whose leaf `i` is the hash of `i`.
fn tree_of(leaves: u64) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for i in 0..leaves {
        tree.push(leaf_hash(&i.to_be_bytes()));
    }
    tree
}

// =============================================================================
// Keys
// =============================================================================

#[test]
fn go_note_peter_neumann_key_pair_and_signature() {
    let key = NoteSigningKey::from_skey_str(PETER_SKEY).expect("vector skey parses");
    assert_eq!(key.name(), "PeterNeumann");
    assert_eq!(key.key_id(), 0xc74f_20a3);
    assert_eq!(key.verifier_key_string(), PETER_VKEY);
    assert_eq!(key.to_skey_string().as_str(), PETER_SKEY);

    // Ed25519 is deterministic: signing the vector text gives the vector line.
    let mut note = Note::new(NEUMANN_TEXT.as_bytes(), &[]).unwrap();
    note.add_sigs(&[&key as &dyn signed_note::Signer]).unwrap();
    assert_eq!(note.to_bytes(), neumann_note(&[PETER_SIG_LINE]));

    let vkey = parse_verifier_key(PETER_VKEY).unwrap();
    assert_eq!(vkey.key_type(), KeyType::Ed25519);
    assert_eq!(vkey.key_id(), 0xc74f_20a3);
    assert_eq!(vkey.to_vkey_string(), PETER_VKEY);
    assert_eq!(vkey.public_key(), &key.public_key());
}

#[test]
fn go_note_enoch_root_is_the_all_zero_seed_key() {
    let key =
        NoteSigningKey::from_signing_key("EnochRoot", SigningKey::from_bytes(&[0; 32])).unwrap();
    assert_eq!(key.verifier_key_string(), ENOCH_VKEY);
    assert_eq!(
        key.to_skey_string().as_str(),
        "PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    );
    let mut note = Note::new(NEUMANN_TEXT.as_bytes(), &[]).unwrap();
    note.add_sigs(&[&key as &dyn signed_note::Signer]).unwrap();
    assert_eq!(note.to_bytes(), neumann_note(&[ENOCH_SIG_LINE]));
}

#[test]
fn go_note_doubly_signed_note_verifies_with_our_verifier_keys() {
    let note = Note::from_bytes(&neumann_note(&[PETER_SIG_LINE, ENOCH_SIG_LINE])).unwrap();
    let keys: Vec<Box<dyn signed_note::Verifier>> = vec![
        Box::new(parse_verifier_key(PETER_VKEY).unwrap()),
        Box::new(parse_verifier_key(ENOCH_VKEY).unwrap()),
    ];
    let (verified, unverified) = note.verify(&VerifierList::new(keys)).unwrap();
    assert_eq!(verified.len(), 2);
    assert!(unverified.is_empty());
}

#[test]
fn generated_keys_round_trip_through_their_strings() {
    let log = NoteSigningKey::generate("log.example/a", &mut rng(1)).unwrap();
    let again = NoteSigningKey::from_skey_str(&log.to_skey_string()).unwrap();
    assert_eq!(again.public_key(), log.public_key());
    assert_eq!(again.verifier_key_string(), log.verifier_key_string());
    // The signed_note crate accepts both strings.
    StandardSigner::new(&log.to_skey_string()).unwrap();
    StandardVerifier::new(&log.verifier_key_string()).unwrap();

    let witness = CosignerKey::generate("witness.example/w", &mut rng(2)).unwrap();
    let again = CosignerKey::from_skey_str(&witness.to_skey_string()).unwrap();
    assert_eq!(again.public_key(), witness.public_key());
    let vkey = parse_verifier_key(&witness.verifier_key_string()).unwrap();
    assert_eq!(vkey.key_type(), KeyType::CosignatureV1);
    assert_eq!(vkey.key_id(), witness.key_id());
    assert_eq!(vkey.to_vkey_string(), witness.verifier_key_string());
}

#[test]
fn cosignature_key_id_hashes_name_newline_0x04_and_public_key() {
    let witness = CosignerKey::generate("witness.example/w", &mut rng(3)).unwrap();
    let public_key = witness.public_key();
    let mut hasher = Sha256::new();
    hasher.update(b"witness.example/w");
    hasher.update(b"\n");
    hasher.update([0x04]);
    hasher.update(public_key.as_bytes());
    let digest = hasher.finalize();
    let expected = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    assert_eq!(witness.key_id(), expected);
    assert_eq!(
        key_id("witness.example/w", KeyType::CosignatureV1, &public_key),
        expected
    );
    // The same key under type 0x01 has another ID.
    assert_ne!(
        key_id("witness.example/w", KeyType::Ed25519, &public_key),
        expected
    );
    let mut typed_key = vec![0x04];
    typed_key.extend_from_slice(public_key.as_bytes());
    assert_eq!(
        witness.verifier_key_string(),
        format!(
            "witness.example/w+{expected:08x}+{}",
            BASE64.encode(typed_key)
        )
    );
}

#[test]
fn verifier_key_strings_are_parsed_strictly() {
    let uppercase_id = PETER_VKEY.replace("c74f20a3", "C74F20A3");
    let wrong_id = PETER_VKEY.replace("c74f20a3", "c74f20a4");
    let short_id = PETER_VKEY.replace("c74f20a3", "74f20a3");
    let bad_name = PETER_VKEY.replace("PeterNeumann", "Peter Neumann");
    let truncated = PETER_VKEY.trim_end_matches("10TW").to_owned();
    let url_safe = PETER_VKEY.replace('/', "_");
    let unknown_type = format!(
        "x+{:08x}+{}",
        signed_note::key_id("x", &[0x02; 33]),
        BASE64.encode([0x02; 33])
    );
    let cases: [(&str, &str); 7] = [
        ("uppercase key id", &uppercase_id),
        ("wrong key id", &wrong_id),
        ("short key id", &short_id),
        ("space in name", &bad_name),
        ("truncated key", &truncated),
        ("url-safe base64", &url_safe),
        ("unknown type", &unknown_type),
    ];
    for (what, vkey) in cases {
        assert!(parse_verifier_key(vkey).is_err(), "{what} accepted");
    }
    assert!(matches!(
        parse_verifier_key(&wrong_id),
        Err(NoteError::KeyIdMismatch)
    ));
    assert!(matches!(
        parse_verifier_key(&unknown_type),
        Err(NoteError::UnsupportedKeyType(0x02))
    ));
    assert!(parse_verifier_key("PeterNeumann+c74f20a3").is_err());
    assert!(parse_verifier_key("").is_err());
}

#[test]
fn private_key_strings_are_parsed_strictly_and_by_type() {
    let witness = CosignerKey::generate("w", &mut rng(4)).unwrap();
    assert!(matches!(
        NoteSigningKey::from_skey_str(&witness.to_skey_string()),
        Err(NoteError::WrongKeyType {
            expected: KeyType::Ed25519,
            found: KeyType::CosignatureV1
        })
    ));
    assert!(matches!(
        CosignerKey::from_skey_str(PETER_SKEY),
        Err(NoteError::WrongKeyType { .. })
    ));
    for bad in [
        PETER_SKEY.replacen("PRIVATE+KEY+", "PRIVATE+KEYS+", 1),
        PETER_SKEY.replacen("PRIVATE+KEY+", "", 1),
        PETER_SKEY.replace("c74f20a3", "c74f20a4"),
        PETER_SKEY.replace("HKDFz", "HKDF"),
        PETER_VKEY.to_owned(),
    ] {
        assert!(
            NoteSigningKey::from_skey_str(&bad).is_err(),
            "{bad} accepted"
        );
    }
}

/// The base64 key material of `PRIVATE+KEY+name+id+material` (which may
/// itself contain `+`).
fn key_material(skey: &str) -> &str {
    skey.splitn(5, '+').nth(4).unwrap()
}

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    let key = NoteSigningKey::from_skey_str(PETER_SKEY).unwrap();
    let secret_b64 = key_material(PETER_SKEY);
    let debug = format!("{key:?}");
    assert!(debug.contains("PeterNeumann"));
    assert!(!debug.contains(secret_b64));
    assert!(!debug.contains(&hex::encode(&BASE64.decode(secret_b64).unwrap()[1..])));
    let witness = CosignerKey::generate("w", &mut rng(5)).unwrap();
    let skey = witness.to_skey_string();
    assert!(!format!("{witness:?}").contains(key_material(&skey)));

    let broken = PETER_SKEY.replace("c74f20a3", "c74f20a4");
    let err = NoteSigningKey::from_skey_str(&broken).unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(secret_b64), "{text}");
    }
}

// =============================================================================
// Checkpoint bodies
// =============================================================================

#[test]
fn spec_example_checkpoint_body_round_trips() {
    let checkpoint = Checkpoint::parse_body(SPEC_CHECKPOINT_BODY).unwrap();
    assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
    assert_eq!(checkpoint.size, 20_852_163);
    assert_eq!(
        BASE64.encode(checkpoint.root),
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    );
    assert!(checkpoint.extensions.is_empty());
    assert_eq!(checkpoint.to_body(), SPEC_CHECKPOINT_BODY);
}

#[test]
fn checkpoint_body_with_extensions_round_trips() {
    let checkpoint = Checkpoint {
        origin: "log.example/x".into(),
        size: u64::MAX,
        root: [7; 32],
        extensions: vec!["ext one".into(), "— two".into()],
    };
    let body = checkpoint.to_body();
    assert!(body.ends_with("ext one\n— two\n"));
    assert_eq!(Checkpoint::parse_body(&body).unwrap(), checkpoint);
    checkpoint.validate().unwrap();
    assert_eq!(
        Checkpoint::parse_body("o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
            .unwrap()
            .size,
        0
    );
}

#[test]
fn checkpoint_bodies_are_parsed_strictly() {
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    let root_31 = BASE64.encode([1; 31]);
    let root_33 = BASE64.encode([1; 33]);
    let non_canonical = BASE64.encode([1; 32]).replace("AQE=", "AQF=");
    let cases = [
        ("non-canonical size", format!("o\n01\n{root}\n")),
        ("signed size", format!("o\n+1\n{root}\n")),
        ("negative size", format!("o\n-1\n{root}\n")),
        ("empty size", format!("o\n\n{root}\n")),
        (
            "size above u64",
            format!("o\n18446744073709551616\n{root}\n"),
        ),
        ("spaced size", format!("o\n 1\n{root}\n")),
        ("31-byte root", format!("o\n1\n{root_31}\n")),
        ("33-byte root", format!("o\n1\n{root_33}\n")),
        (
            "unpadded root",
            format!("o\n1\n{}\n", root.trim_end_matches('=')),
        ),
        (
            "url-safe root",
            format!("o\n1\n{}\n", root.replace('/', "_")),
        ),
        // 32 bytes leave two unused bits in the last digit; set one.
        ("non-canonical root", format!("o\n1\n{non_canonical}\n")),
        ("bad base64", format!("o\n1\n{}!\n", &root[..43])),
        ("missing final newline", format!("o\n1\n{root}")),
        ("empty origin", format!("\n1\n{root}\n")),
        ("empty extension", format!("o\n1\n{root}\n\next\n")),
        ("trailing empty line", format!("o\n1\n{root}\n\n")),
        ("carriage return", format!("o\r\n1\n{root}\n")),
        ("two lines", "o\n1\n".to_owned()),
        ("empty", String::new()),
    ];
    for (what, body) in cases {
        assert!(
            matches!(
                Checkpoint::parse_body(&body),
                Err(NoteError::MalformedCheckpoint(_))
            ),
            "{what} accepted"
        );
    }
    let mut bad = Checkpoint::new("o\n2", 1, [0; 32]);
    assert!(bad.validate().is_err());
    bad.origin = "o".into();
    bad.extensions = vec![String::new()];
    assert!(bad.validate().is_err());
}

// =============================================================================
// Signed checkpoints
// =============================================================================

fn log_key(name: &str, seed: u64) -> NoteSigningKey {
    NoteSigningKey::generate(name, &mut rng(seed)).unwrap()
}

#[test]
fn signed_checkpoint_opens_with_the_log_key() {
    let key = log_key("log.example/a", 10);
    let checkpoint = Checkpoint::new("log.example/a", 5, [9; 32]);
    let note = sign_checkpoint(&checkpoint, &key).unwrap();
    assert!(note.starts_with(checkpoint.to_body().as_bytes()));
    assert_eq!(
        open_checkpoint(&note, &key.verifier_key_string()).unwrap(),
        checkpoint
    );
    // The signed_note crate's standard verifier agrees.
    let verifier = StandardVerifier::new(&key.verifier_key_string()).unwrap();
    Note::from_bytes(&note)
        .unwrap()
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .unwrap();
}

#[test]
fn checkpoint_signed_by_the_signed_note_crate_opens() {
    let key = log_key("log.example/a", 11);
    let signer = StandardSigner::new(&key.to_skey_string()).unwrap();
    let checkpoint = Checkpoint::new("log.example/a", 3, [1; 32]);
    let mut note = Note::new(checkpoint.to_body().as_bytes(), &[]).unwrap();
    note.add_sigs(&[&signer]).unwrap();
    assert_eq!(note.to_bytes(), sign_checkpoint(&checkpoint, &key).unwrap());
    assert_eq!(
        open_checkpoint(&note.to_bytes(), &key.verifier_key_string()).unwrap(),
        checkpoint
    );
}

#[test]
fn checkpoint_signed_by_another_key_is_rejected() {
    let key = log_key("log.example/a", 12);
    let impostor = log_key("log.example/a", 13);
    let note = sign_checkpoint(&Checkpoint::new("log.example/a", 1, [2; 32]), &impostor).unwrap();
    assert!(matches!(
        open_checkpoint(&note, &key.verifier_key_string()),
        Err(NoteError::NoTrustedSignature)
    ));
}

#[test]
fn tampered_checkpoint_is_rejected() {
    let key = log_key("log.example/a", 14);
    let note = sign_checkpoint(&Checkpoint::new("log.example/a", 1, [2; 32]), &key).unwrap();
    let tampered = String::from_utf8(note)
        .unwrap()
        .replacen("\n1\n", "\n2\n", 1);
    assert!(matches!(
        open_checkpoint(tampered.as_bytes(), &key.verifier_key_string()),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn checkpoint_origin_must_be_the_log_key_name() {
    let key = log_key("log.example/a", 15);
    assert!(matches!(
        sign_checkpoint(&Checkpoint::new("log.example/b", 1, [0; 32]), &key),
        Err(NoteError::OriginMismatch { .. })
    ));
    // A note whose origin differs from the key name, signed outside our API.
    let body = Checkpoint::new("log.example/b", 1, [0; 32]).to_body();
    let mut note = Note::new(body.as_bytes(), &[]).unwrap();
    note.add_sigs(&[&key as &dyn signed_note::Signer]).unwrap();
    assert!(matches!(
        open_checkpoint(&note.to_bytes(), &key.verifier_key_string()),
        Err(NoteError::OriginMismatch { .. })
    ));
}

#[test]
fn open_checkpoint_ignores_unknown_signatures_and_needs_an_ed25519_key() {
    let key = log_key("log.example/a", 16);
    let other = log_key("log.example/a", 17);
    let checkpoint = Checkpoint::new("log.example/a", 8, [3; 32]);
    let mut note = Note::new(checkpoint.to_body().as_bytes(), &[]).unwrap();
    note.add_sigs(&[&other as &dyn signed_note::Signer, &key])
        .unwrap();
    assert_eq!(
        open_checkpoint(&note.to_bytes(), &key.verifier_key_string()).unwrap(),
        checkpoint
    );
    let witness = CosignerKey::generate("log.example/a", &mut rng(18)).unwrap();
    assert!(matches!(
        open_checkpoint(&note.to_bytes(), &witness.verifier_key_string()),
        Err(NoteError::WrongKeyType { .. })
    ));
    assert!(matches!(
        open_checkpoint(b"log.example/a\n8\n", &key.verifier_key_string()),
        Err(NoteError::MalformedNote)
    ));
}

// =============================================================================
// Cosignatures
// =============================================================================

#[test]
fn spec_cosignature_message_and_timestamp_field() {
    assert_eq!(
        cosignature_message(SPEC_CHECKPOINT_BODY.as_bytes(), 1_679_315_147),
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
    // The spec's cosignature line: key ID, then the timestamp of the message
    // above, then a 64-byte signature.
    let lines = split_signature_lines(SPEC_COSIG_LINE.as_bytes()).unwrap();
    assert_eq!(lines, [SPEC_COSIG_LINE.as_bytes()]);
    let b64 = SPEC_COSIG_LINE.trim_end().rsplit(' ').next().unwrap();
    let raw = BASE64.decode(b64).unwrap();
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(
        u64::from_be_bytes(raw[4..12].try_into().unwrap()),
        1_679_315_147
    );
    // The spec's cosigned checkpoint is a well-formed note.
    let note = format!("{SPEC_CHECKPOINT_BODY}\n{SPEC_LOG_SIG_LINE}{SPEC_COSIG_LINE}");
    Note::from_bytes(note.as_bytes()).unwrap();
}

struct CosignedFixture {
    log: NoteSigningKey,
    witness: CosignerKey,
    note: Vec<u8>,
    cosignature: Vec<u8>,
}

fn cosigned_fixture(timestamp: u64) -> CosignedFixture {
    let log = log_key("log.example/a", 20);
    let witness = CosignerKey::generate("witness.example/w", &mut rng(21)).unwrap();
    let checkpoint = Checkpoint::new("log.example/a", 42, [4; 32]);
    let note = sign_checkpoint(&checkpoint, &log).unwrap();
    let cosignature = witness
        .cosign(checkpoint.to_body().as_bytes(), timestamp)
        .unwrap();
    CosignedFixture {
        log,
        witness,
        note,
        cosignature,
    }
}

#[test]
fn cosignature_verifies_and_reports_name_and_time() {
    let f = cosigned_fixture(1_700_000_000);
    assert!(f.cosignature.starts_with("— witness.example/w ".as_bytes()));
    assert!(f.cosignature.ends_with(b"\n"));
    let cosigned = add_signature_lines(&f.note, &[&f.cosignature]).unwrap();
    let verified = verify_cosignatures(&cosigned, &[f.witness.verifier_key_string()]).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].name, "witness.example/w");
    assert_eq!(verified[0].key_id, f.witness.key_id());
    assert_eq!(verified[0].timestamp, 1_700_000_000);
    // The log's signature still opens the cosigned note.
    open_checkpoint(&cosigned, &f.log.verifier_key_string()).unwrap();
}

#[test]
fn unknown_witnesses_are_ignored() {
    let f = cosigned_fixture(1);
    let stranger = CosignerKey::generate("witness.example/other", &mut rng(22)).unwrap();
    let cosigned = add_signature_lines(&f.note, &[&f.cosignature]).unwrap();
    assert!(
        verify_cosignatures(&cosigned, &[stranger.verifier_key_string()])
            .unwrap()
            .is_empty()
    );
    assert!(
        verify_cosignatures(&f.note, &[f.witness.verifier_key_string()])
            .unwrap()
            .is_empty()
    );
    // A log (0x01) key is not a witness key.
    assert!(matches!(
        verify_cosignatures(&cosigned, &[f.log.verifier_key_string()]),
        Err(NoteError::WrongKeyType { .. })
    ));
}

/// Rewrites the base64 payload of a signature line.
fn with_raw_signature(line: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let line = std::str::from_utf8(line).unwrap().trim_end();
    let (prefix, b64) = line.rsplit_once(' ').unwrap();
    let mut raw = BASE64.decode(b64).unwrap();
    edit(&mut raw);
    format!("{prefix} {}\n", BASE64.encode(raw)).into_bytes()
}

#[test]
fn cosignature_with_a_changed_timestamp_is_rejected() {
    let f = cosigned_fixture(1_700_000_000);
    let flipped = with_raw_signature(&f.cosignature, |raw| raw[11] ^= 1);
    let cosigned = add_signature_lines(&f.note, &[flipped]).unwrap();
    assert!(matches!(
        verify_cosignatures(&cosigned, &[f.witness.verifier_key_string()]),
        Err(NoteError::InvalidSignature { .. })
    ));
    // A timestamp above 2^63 - 1 is invalid however it is signed.
    let too_late = with_raw_signature(&f.cosignature, |raw| raw[4] = 0x80);
    let cosigned = add_signature_lines(&f.note, &[too_late]).unwrap();
    assert!(verify_cosignatures(&cosigned, &[f.witness.verifier_key_string()]).is_err());
}

#[test]
fn cosignature_moved_to_another_checkpoint_is_rejected() {
    let f = cosigned_fixture(5);
    let other = sign_checkpoint(&Checkpoint::new("log.example/a", 43, [4; 32]), &f.log).unwrap();
    let cosigned = add_signature_lines(&other, &[f.cosignature]).unwrap();
    assert!(matches!(
        verify_cosignatures(&cosigned, &[f.witness.verifier_key_string()]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn cosign_rejects_out_of_range_timestamps_and_bad_text() {
    let witness = CosignerKey::generate("w", &mut rng(23)).unwrap();
    let body = Checkpoint::new("o", 1, [0; 32]).to_body();
    assert!(witness.cosign(body.as_bytes(), i64::MAX as u64).is_ok());
    assert!(matches!(
        witness.cosign(body.as_bytes(), i64::MAX as u64 + 1),
        Err(NoteError::TimestampOutOfRange)
    ));
    assert!(witness.cosign(b"no final newline", 1).is_err());
}

#[test]
fn add_signature_lines_keeps_the_log_first_and_drops_duplicates() {
    let f = cosigned_fixture(7);
    let second = CosignerKey::generate("witness.example/v", &mut rng(24)).unwrap();
    let body = Checkpoint::new("log.example/a", 42, [4; 32]).to_body();
    let second_line = second.cosign(body.as_bytes(), 8).unwrap();
    let later_line = f.witness.cosign(body.as_bytes(), 9).unwrap();
    let mut both = f.cosignature.clone();
    both.extend_from_slice(&second_line);

    let merged = add_signature_lines(
        &f.note,
        &[both, f.cosignature.clone(), later_line, second_line.clone()],
    )
    .unwrap();
    let text = String::from_utf8(merged.clone()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('—')).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("— log.example/a "));
    assert_eq!(format!("{}\n", lines[1]).as_bytes(), f.cosignature);
    assert_eq!(format!("{}\n", lines[2]).as_bytes(), second_line);

    let verified = verify_cosignatures(
        &merged,
        &[
            f.witness.verifier_key_string(),
            second.verifier_key_string(),
        ],
    )
    .unwrap();
    let times: Vec<u64> = verified.iter().map(|v| v.timestamp).collect();
    assert_eq!(times, [7, 8]);

    for bad in [&b"no dash\n"[..], b"\xe2\x80\x94 w AAAA\n", b""] {
        assert!(add_signature_lines(&f.note, &[bad]).is_err());
    }
}

// =============================================================================
// tlog-witness
// =============================================================================

const SPEC_WITNESS_REQUEST: &str = "old 20852014\n\
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
\n\
example.com/behind-the-sofa\n\
20852163\n\
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
\n\
— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";

#[test]
fn spec_example_request_round_trips() {
    let request = AddCheckpointRequest::parse(SPEC_WITNESS_REQUEST.as_bytes()).unwrap();
    assert_eq!(request.old_size, 20_852_014);
    assert_eq!(request.consistency_proof.len(), 4);
    assert_eq!(
        BASE64.encode(request.consistency_proof[3]),
        "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0="
    );
    assert!(
        request
            .checkpoint
            .starts_with(b"example.com/behind-the-sofa\n")
    );
    assert_eq!(request.to_bytes(), SPEC_WITNESS_REQUEST.as_bytes());
}

#[test]
fn requests_are_parsed_strictly() {
    let hash = BASE64.encode([5; 32]);
    let many = format!("{hash}\n").repeat(MAX_PROOF_HASHES + 1);
    let cases = [
        ("leading zero", "old 01\n\ncp\n".to_owned()),
        ("no old line", "\ncp\n".to_owned()),
        ("wrong keyword", "new 1\n\ncp\n".to_owned()),
        ("two spaces", "old  1\n\ncp\n".to_owned()),
        (
            "short hash",
            format!("old 1\n{}\n\ncp\n", BASE64.encode([5; 31])),
        ),
        ("bad base64", "old 1\n!!!!\n\ncp\n".to_owned()),
        ("no empty line", format!("old 1\n{hash}\n")),
        ("no checkpoint", "old 1\n\n".to_owned()),
        ("64 proof lines", format!("old 1\n{many}\ncp\n")),
        ("oversized", format!("old 1\n\n{}", "a".repeat(64 * 1024))),
    ];
    for (what, body) in cases {
        let err = AddCheckpointRequest::parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.http_status(), 400, "{what}: {err}");
    }
    let max = format!(
        "old 1\n{}\ncp\n",
        format!("{hash}\n").repeat(MAX_PROOF_HASHES)
    );
    assert_eq!(
        AddCheckpointRequest::parse(max.as_bytes())
            .unwrap()
            .consistency_proof
            .len(),
        MAX_PROOF_HASHES
    );
}

struct WitnessFixture {
    log: NoteSigningKey,
    witness_vkey: String,
    witness: Witness,
}

const LOG: &str = "log.example/a";
const NOW: u64 = 1_750_000_000;

fn witness_with_state(state: Box<dyn WitnessStateStore + Send + Sync>) -> WitnessFixture {
    let log = log_key(LOG, 30);
    let key = CosignerKey::generate("witness.example/w", &mut rng(31)).unwrap();
    let witness_vkey = key.verifier_key_string();
    let witness = Witness::new(key, &[log.verifier_key_string()], state)
        .unwrap()
        .with_clock(|| NOW);
    WitnessFixture {
        log,
        witness_vkey,
        witness,
    }
}

fn memory_witness() -> WitnessFixture {
    witness_with_state(Box::new(MemoryWitnessState::new()))
}

fn request(log: &NoteSigningKey, tree: &MemoryTree, old: u64, new: u64) -> AddCheckpointRequest {
    let checkpoint = Checkpoint::new(log.name(), new, tree.root_at(new).unwrap());
    AddCheckpointRequest {
        old_size: old,
        consistency_proof: if old == 0 {
            Vec::new()
        } else {
            tree.consistency_proof(old, new).unwrap()
        },
        checkpoint: sign_checkpoint(&checkpoint, log).unwrap(),
    }
}

fn submit(f: &WitnessFixture, request: &AddCheckpointRequest) -> Result<Vec<u8>, WitnessError> {
    f.witness.add_checkpoint(&request.to_bytes())
}

#[test]
fn witness_cosigns_a_growing_log() {
    let f = memory_witness();
    let tree = tree_of(20);
    let mut old = 0;
    for size in [0, 1, 2, 7, 8, 13, 20, 20] {
        let request = request(&f.log, &tree, old, size);
        let lines = submit(&f, &request).unwrap_or_else(|e| panic!("size {size}: {e}"));
        let cosigned = add_signature_lines(&request.checkpoint, &[lines]).unwrap();
        let verified = verify_cosignatures(&cosigned, &[&f.witness_vkey]).unwrap();
        assert_eq!(verified.len(), 1);
        assert_eq!(verified[0].timestamp, NOW);
        assert_eq!(
            f.witness.latest(LOG).unwrap(),
            Some((size, tree.root_at(size).unwrap()))
        );
        old = size;
    }
}

#[test]
fn witness_refuses_a_stale_old_size_with_its_latest_size() {
    let f = memory_witness();
    let tree = tree_of(10);
    submit(&f, &request(&f.log, &tree, 0, 6)).unwrap();
    // Rolling back: a smaller checkpoint from the old size the log claims.
    for (old, new) in [(0, 3), (3, 4), (0, 10), (7, 10)] {
        let err = submit(&f, &request(&f.log, &tree, old, new)).unwrap_err();
        assert_eq!(err.http_status(), 409, "{old}->{new}: {err}");
        assert_eq!(err.conflict_size(), Some(6));
    }
    assert_eq!(f.witness.latest(LOG).unwrap().unwrap().0, 6);
    // Retrying with the witness's size succeeds.
    submit(&f, &request(&f.log, &tree, 6, 10)).unwrap();
}

#[test]
fn witness_refuses_forks() {
    let f = memory_witness();
    let tree = tree_of(8);
    // Shares the first three leaves, then tells another story.
    let mut forked = tree_of(3);
    for i in 3..8_u64 {
        forked.push(leaf_hash(&(i + 100).to_be_bytes()));
    }
    submit(&f, &request(&f.log, &tree, 0, 5)).unwrap();

    // Same size, another root: 409.
    let err = submit(&f, &request(&f.log, &forked, 5, 5)).unwrap_err();
    assert!(
        matches!(err, WitnessError::RootConflict { size: 5 }),
        "{err}"
    );
    assert_eq!(err.http_status(), 409);
    assert_eq!(err.conflict_size(), None);

    // A larger tree that does not extend what was cosigned: its (honest)
    // proof is from a different old root, so it fails: 422.
    let err = submit(&f, &request(&f.log, &forked, 5, 8)).unwrap_err();
    assert!(matches!(err, WitnessError::InvalidProof), "{err}");
    assert_eq!(err.http_status(), 422);

    // A garbled proof: 422; a missing one: 422.
    let mut garbled = request(&f.log, &tree, 5, 8);
    garbled.consistency_proof[0][0] ^= 1;
    assert_eq!(submit(&f, &garbled).unwrap_err().http_status(), 422);
    let mut missing = request(&f.log, &tree, 5, 8);
    missing.consistency_proof.clear();
    assert_eq!(submit(&f, &missing).unwrap_err().http_status(), 422);
    // A proof with the same size: 422.
    let mut padded = request(&f.log, &tree, 5, 5);
    padded.consistency_proof.push([0; 32]);
    assert_eq!(submit(&f, &padded).unwrap_err().http_status(), 422);

    assert_eq!(
        f.witness.latest(LOG).unwrap(),
        Some((5, tree.root_at(5).unwrap()))
    );
}

#[test]
fn witness_refuses_a_proof_from_size_zero() {
    let f = memory_witness();
    let tree = tree_of(4);
    let mut request = request(&f.log, &tree, 0, 4);
    request.consistency_proof.push([1; 32]);
    assert_eq!(submit(&f, &request).unwrap_err().http_status(), 422);
    assert_eq!(f.witness.latest(LOG).unwrap(), None);
}

#[test]
fn witness_rejects_old_size_above_the_checkpoint_size() {
    let f = memory_witness();
    let tree = tree_of(4);
    let mut request = request(&f.log, &tree, 0, 4);
    request.old_size = 5;
    let err = submit(&f, &request).unwrap_err();
    assert!(matches!(err, WitnessError::OldSizeAboveCheckpoint { .. }));
    assert_eq!(err.http_status(), 400);
}

#[test]
fn witness_rejects_unknown_logs_bad_signatures_and_malformed_bodies() {
    let f = memory_witness();
    let tree = tree_of(3);

    let stranger = log_key("log.example/unknown", 32);
    let err = submit(&f, &request(&stranger, &tree, 0, 3)).unwrap_err();
    assert!(matches!(err, WitnessError::UnknownLog { .. }), "{err}");
    assert_eq!(err.http_status(), 404);

    let impostor = log_key(LOG, 33);
    let err = submit(&f, &request(&impostor, &tree, 0, 3)).unwrap_err();
    assert_eq!(err.http_status(), 403, "{err}");

    let mut tampered = request(&f.log, &tree, 0, 3);
    tampered.checkpoint = String::from_utf8(tampered.checkpoint)
        .unwrap()
        .replacen("\n3\n", "\n2\n", 1)
        .into_bytes();
    assert_eq!(submit(&f, &tampered).unwrap_err().http_status(), 403);

    let mut not_a_note = request(&f.log, &tree, 0, 3);
    not_a_note.checkpoint = b"log.example/a\n3\n".to_vec();
    assert_eq!(submit(&f, &not_a_note).unwrap_err().http_status(), 400);

    assert_eq!(
        f.witness
            .add_checkpoint(b"garbage")
            .unwrap_err()
            .http_status(),
        400
    );
    assert_eq!(f.witness.latest(LOG).unwrap(), None);
}

#[test]
fn witness_state_survives_reopening_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let tree = tree_of(12);
    {
        let f = witness_with_state(Box::new(FileWitnessState::open(dir.path()).unwrap()));
        submit(&f, &request(&f.log, &tree, 0, 5)).unwrap();
        submit(&f, &request(&f.log, &tree, 5, 9)).unwrap();
    }
    let f = witness_with_state(Box::new(FileWitnessState::open(dir.path()).unwrap()));
    assert_eq!(
        f.witness.latest(LOG).unwrap(),
        Some((9, tree.root_at(9).unwrap()))
    );
    let err = submit(&f, &request(&f.log, &tree, 5, 12)).unwrap_err();
    assert_eq!(err.conflict_size(), Some(9));
    submit(&f, &request(&f.log, &tree, 9, 12)).unwrap();

    // One state file, no temporary left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with(".state"));
}

#[test]
fn corrupt_state_file_is_reported_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let tree = tree_of(3);
    let f = witness_with_state(Box::new(FileWitnessState::open(dir.path()).unwrap()));
    submit(&f, &request(&f.log, &tree, 0, 3)).unwrap();
    let entry = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::write(entry.path(), b"zkaudit-witness-state/v1\nsomething else\n").unwrap();
    let err = f.witness.latest(LOG).unwrap_err();
    assert!(matches!(err, WitnessError::CorruptState { .. }), "{err}");
    assert_eq!(err.http_status(), 500);
}

#[test]
fn witness_configuration_needs_ed25519_log_keys() {
    let key = CosignerKey::generate("w", &mut rng(34)).unwrap();
    let other = CosignerKey::generate("log.example/a", &mut rng(35)).unwrap();
    let err = Witness::new(
        key,
        &[other.verifier_key_string()],
        Box::new(MemoryWitnessState::new()),
    )
    .unwrap_err();
    assert!(matches!(err, WitnessError::Config(_)));
}

#[test]
fn log_key_verifier_matches_name_and_type() {
    let key = log_key(LOG, 36);
    let vkey: NoteVerifierKey = key.verifier_key_string().parse().unwrap();
    assert_eq!(vkey.name(), LOG);
    assert_eq!(vkey, key.verifier_key());
    assert_eq!(vkey.to_string(), key.verifier_key_string());
}
