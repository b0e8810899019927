//! A witnessed log end to end: `zkaudit witness` cosigns checkpoints that
//! extend what it saw; the log serves them cosigned; a fork of the log
//! (same key, another history) never gets a cosignature.

mod common;

use std::time::{Duration, Instant};

use common::witness::{add_witness_to_config, start_witness};
use common::*;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_verifier::verify_quorum;

/// Waits until the served checkpoint of at least `size` carries the witness's
/// cosignature; returns the note.
fn wait_cosigned(base: &str, witness_key: &str, size: u64, patience: Duration) -> Option<String> {
    let agent = agent();
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        let (_, cp) = get_bytes(&agent, &format!("{base}/checkpoint"));
        let note = String::from_utf8(cp).unwrap();
        let cp_size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        if cp_size >= size && verify_quorum(note.as_bytes(), &[witness_key.to_owned()], 1).is_ok() {
            return Some(note);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn witness_cosigns_the_log_and_refuses_a_fork() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    zkaudit_service::server::config::create_development_config(&data).unwrap();
    let log_key = NoteSigningKey::from_skey_str(
        std::fs::read_to_string(data.join("log.key"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let witness = start_witness(&tmp.path().join("witness"), &log_key.verifier_key_string());
    add_witness_to_config(&data, &witness);

    let server = ServerProcess::start(&data, &[]);
    let key = dev_authority(&data);
    let agent = agent();
    for i in 0..20 {
        let (status, _) = post_record(&agent, &server.base, &notice(&key, &format!("n{i}")));
        assert_eq!(status, 201);
    }
    let note = wait_cosigned(
        &server.base,
        &witness.verifier_key,
        21,
        Duration::from_secs(20),
    )
    .expect("the witness cosigned the latest checkpoint");
    assert!(note.contains("— test-witness "), "{note}");
    // The same note through the JSON API.
    let (_, cp) = get_json(&agent, &format!("{}/v1/log/checkpoint", server.base));
    verify_quorum(
        cp["note"].as_str().unwrap().as_bytes(),
        std::slice::from_ref(&witness.verifier_key),
        1,
    )
    .unwrap();
    // A verifier requiring two witnesses is not satisfied by one.
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(5);
    let other = zkaudit_ledger::note::CosignerKey::generate("absent-witness", &mut rng).unwrap();
    assert!(
        verify_quorum(
            note.as_bytes(),
            &[witness.verifier_key.clone(), other.verifier_key_string()],
            2
        )
        .is_err()
    );

    // More entries: the witness keeps up (each new checkpoint extends the last).
    for i in 0..10 {
        post_record(&agent, &server.base, &notice(&key, &format!("m{i}")));
    }
    wait_cosigned(
        &server.base,
        &witness.verifier_key,
        31,
        Duration::from_secs(20),
    )
    .expect("cosigned after growth");
    drop(server);

    // A fork: the same log key with a different history, longer than what the
    // witness saw. The witness must never cosign it.
    let fork = data_dir(&tmp, "fork");
    std::fs::create_dir_all(&fork).unwrap();
    for file in ["zkaudit.toml", "log.key", "dev-authority.key"] {
        std::fs::copy(data.join(file), fork.join(file)).unwrap();
    }
    let forked = ServerProcess::start(&fork, &[]);
    for i in 0..40 {
        post_record(
            &agent,
            &forked.base,
            &notice(&key, &format!("forked history {i}")),
        );
    }
    assert!(
        wait_cosigned(
            &forked.base,
            &witness.verifier_key,
            41,
            Duration::from_secs(5)
        )
        .is_none(),
        "the witness cosigned a fork"
    );
}
