//! Signed notes, checkpoints, witness cosignatures and witness requests
//! check Ed25519 strictly (issue 12, item 3): a small-order, non-canonical or
//! mixed-order key can't be configured, and a signature only the lax check
//! accepts (a small-order `R`) is refused, while honest signatures verify.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use curve25519_dalek::Scalar;
use curve25519_dalek::constants::EIGHT_TORSION;
use ed25519_dalek::{SignatureError, SigningKey, Verifier as _, VerifyingKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng as _;
use sha2::{Digest, Sha512};
use signed_note::Note;
use zkaudit_ledger::merkle::{MemoryTree, leaf_hash};
use zkaudit_ledger::note::{
    Checkpoint, CosignerKey, KeyType, NoteError, NoteSigningKey, NoteVerifierKey,
    add_signature_lines, cosignature_message, key_id, open_checkpoint, parse_verifier_key,
    sign_checkpoint, verify_cosignatures,
};
use zkaudit_ledger::signature::KeyError;
use zkaudit_ledger::witness::{AddCheckpointRequest, MemoryWitnessState, Witness, WitnessError};

const LOG: &str = "log.example/a";
const WITNESS: &str = "witness.example/w";

/// The identity point, the weak key of the forgery `R = identity, S = 0`.
const IDENTITY_KEY: [u8; 32] = {
    let mut key = [0u8; 32];
    key[0] = 1;
    key
};

/// `y = p + 3`: a point of large order, not canonically encoded.
const NON_CANONICAL_KEY: [u8; 32] = {
    let mut key = [0xff; 32];
    key[0] = 0xf0;
    key[31] = 0x7f;
    key
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn torsion_key(key: &SigningKey) -> [u8; 32] {
    (key.verifying_key().to_edwards() + EIGHT_TORSION[1])
        .compress()
        .to_bytes()
}

/// A signature by `key` with `R = identity`, `S = k·a`: accepted by the lax
/// check, refused by the strict one.
fn identity_r_signature(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(IDENTITY_KEY);
    h.update(key.verifying_key().as_bytes());
    h.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&IDENTITY_KEY);
    sig[32..].copy_from_slice((k * key.to_scalar()).as_bytes());
    let lax = ed25519_dalek::Signature::from_bytes(&sig);
    assert!(
        key.verifying_key().verify(message, &lax).is_ok(),
        "the lax check accepts it"
    );
    sig
}

/// A verifier key string for raw key bytes, with the right key ID, as an
/// attacker would write it.
fn vkey_string(name: &str, key_type: KeyType, key: &[u8; 32]) -> String {
    let lax = VerifyingKey::from_bytes(key).unwrap();
    let mut typed = vec![key_type.id_byte()];
    typed.extend_from_slice(key);
    format!(
        "{name}+{:08x}+{}",
        key_id(name, key_type, &lax),
        BASE64.encode(typed)
    )
}

/// Makes the raw signature bytes of a note signature line.
type RawSign<'a> = Box<dyn Fn(&[u8]) -> Vec<u8> + 'a>;

/// Signs notes with a chosen raw signature under an honest key's name and ID.
struct Forger<'a> {
    name: &'a str,
    key_id: u32,
    sign: RawSign<'a>,
}

impl signed_note::Signer for Forger<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignatureError> {
        Ok((self.sign)(msg))
    }
}

fn signed_note_with(text: &[u8], signer: &dyn signed_note::Signer) -> Vec<u8> {
    let mut note = Note::new(text, &[]).unwrap();
    note.add_sigs(&[signer]).unwrap();
    note.to_bytes()
}

fn log() -> (NoteSigningKey, SigningKey) {
    let raw = SigningKey::generate(&mut rng(1));
    (
        NoteSigningKey::from_signing_key(LOG, raw.clone()).unwrap(),
        raw,
    )
}

/// A checkpoint "signed" by the log's key with a small-order `R`.
fn lax_only_checkpoint(checkpoint: &Checkpoint) -> Vec<u8> {
    let (log, raw) = log();
    let forger = Forger {
        name: LOG,
        key_id: log.key_id(),
        sign: Box::new(move |msg| identity_r_signature(&raw, msg).to_vec()),
    };
    signed_note_with(checkpoint.to_body().as_bytes(), &forger)
}

#[test]
fn weak_non_canonical_and_mixed_order_verifier_keys_are_refused() {
    let honest = SigningKey::generate(&mut rng(2));
    for key_type in [KeyType::Ed25519, KeyType::CosignatureV1] {
        let weak = vkey_string(LOG, key_type, &IDENTITY_KEY);
        assert!(matches!(parse_verifier_key(&weak), Err(NoteError::WeakKey)));
        let non_canonical = vkey_string(LOG, key_type, &NON_CANONICAL_KEY);
        assert!(matches!(
            parse_verifier_key(&non_canonical),
            Err(NoteError::RefusedKey(KeyError::NonCanonical))
        ));
        let mixed = vkey_string(LOG, key_type, &torsion_key(&honest));
        assert!(matches!(
            parse_verifier_key(&mixed),
            Err(NoteError::RefusedKey(KeyError::TorsionComponent))
        ));
        // The same keys given as key values.
        for (bytes, expected) in [
            (IDENTITY_KEY, "weak public key"),
            (NON_CANONICAL_KEY, "not the canonical encoding"),
            (torsion_key(&honest), "torsion component"),
        ] {
            let lax = VerifyingKey::from_bytes(&bytes).unwrap();
            let err = NoteVerifierKey::new(LOG, key_type, lax).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
        let good = vkey_string(LOG, key_type, honest.verifying_key().as_bytes());
        assert!(parse_verifier_key(&good).is_ok());
    }
}

#[test]
fn a_checkpoint_signature_only_the_lax_check_accepts_is_refused() {
    let (log, _) = log();
    let checkpoint = Checkpoint::new(LOG, 7, [5; 32]);
    let honest = sign_checkpoint(&checkpoint, &log).unwrap();
    assert_eq!(
        open_checkpoint(&honest, &log.verifier_key_string()).unwrap(),
        checkpoint
    );
    let forged = lax_only_checkpoint(&checkpoint);
    assert!(matches!(
        open_checkpoint(&forged, &log.verifier_key_string()),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn a_cosignature_only_the_lax_check_accepts_is_refused() {
    let (log, _) = log();
    let raw = SigningKey::generate(&mut rng(3));
    let witness = CosignerKey::from_signing_key(WITNESS, raw.clone()).unwrap();
    let checkpoint = Checkpoint::new(LOG, 9, [6; 32]);
    let note = sign_checkpoint(&checkpoint, &log).unwrap();
    let body = checkpoint.to_body();
    let honest = witness.cosign(body.as_bytes(), 1_700_000_000).unwrap();
    let cosigned = add_signature_lines(&note, &[&honest]).unwrap();
    assert_eq!(
        verify_cosignatures(&cosigned, &[witness.verifier_key_string()])
            .unwrap()
            .len(),
        1
    );
    let forger = Forger {
        name: WITNESS,
        key_id: witness.key_id(),
        sign: Box::new(move |text| {
            let timestamp = 1_700_000_000u64;
            let sig = identity_r_signature(&raw, &cosignature_message(text, timestamp));
            [&timestamp.to_be_bytes()[..], &sig].concat()
        }),
    };
    let forged_line = {
        let forged = signed_note_with(body.as_bytes(), &forger);
        forged[body.len() + 1..].to_vec()
    };
    let cosigned = add_signature_lines(&note, &[&forged_line]).unwrap();
    assert!(matches!(
        verify_cosignatures(&cosigned, &[witness.verifier_key_string()]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

fn witness() -> Witness {
    let (log, _) = log();
    let key = CosignerKey::generate(WITNESS, &mut rng(4)).unwrap();
    Witness::new(
        key,
        &[log.verifier_key_string()],
        Box::new(MemoryWitnessState::new()),
    )
    .unwrap()
    .with_clock(|| 1_750_000_000)
}

#[test]
fn a_witness_refuses_weak_log_keys_and_lax_only_signatures() {
    let honest = SigningKey::generate(&mut rng(5));
    for bytes in [IDENTITY_KEY, NON_CANONICAL_KEY, torsion_key(&honest)] {
        let err = Witness::new(
            CosignerKey::generate(WITNESS, &mut rng(6)).unwrap(),
            &[vkey_string(LOG, KeyType::Ed25519, &bytes)],
            Box::new(MemoryWitnessState::new()),
        )
        .unwrap_err();
        assert!(matches!(err, WitnessError::Config(_)), "{err}");
    }

    let mut tree = MemoryTree::new();
    tree.push(leaf_hash(b"entry"));
    let checkpoint = Checkpoint::new(LOG, 1, tree.root_at(1).unwrap());
    let witness = witness();
    let forged = AddCheckpointRequest {
        old_size: 0,
        consistency_proof: Vec::new(),
        checkpoint: lax_only_checkpoint(&checkpoint),
    };
    let err = witness.add_checkpoint(&forged.to_bytes()).unwrap_err();
    assert!(matches!(err, WitnessError::LogSignature(_)), "{err}");
    assert_eq!(err.http_status(), 403);
    assert_eq!(witness.latest(LOG).unwrap(), None, "nothing was cosigned");

    let (log, _) = log();
    let honest = AddCheckpointRequest {
        old_size: 0,
        consistency_proof: Vec::new(),
        checkpoint: sign_checkpoint(&checkpoint, &log).unwrap(),
    };
    witness.add_checkpoint(&honest.to_bytes()).unwrap();
    assert_eq!(witness.latest(LOG).unwrap(), Some((1, checkpoint.root)));
}
