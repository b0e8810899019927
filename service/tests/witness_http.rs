//! The tlog-witness HTTP endpoint driven by the witness client: a witness
//! router on 127.0.0.1, a log growing a Merkle tree, and every status the
//! spec assigns.

use std::sync::Arc;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_ledger::merkle::{MemoryTree, leaf_hash};
use zkaudit_ledger::note::{
    Checkpoint, CosignerKey, NoteSigningKey, add_signature_lines, sign_checkpoint,
    verify_cosignatures,
};
use zkaudit_ledger::witness::{
    AddCheckpointRequest, FileWitnessState, MemoryWitnessState, Witness, WitnessStateStore,
};
use zkaudit_service::witness::{WitnessClientError, request_cosignature, router};

const LOG: &str = "test.zkaudit/log";
const NOW: u64 = 1_760_000_000;
const TIMEOUT: Duration = Duration::from_secs(10);

struct Fixture {
    url: String,
    log: NoteSigningKey,
    witness_vkey: String,
    tree: MemoryTree,
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Serves a witness for the test log on an ephemeral port.
async fn start(state: Box<dyn WitnessStateStore + Send + Sync>) -> Fixture {
    let log = NoteSigningKey::generate(LOG, &mut rng(1)).unwrap();
    let key = CosignerKey::generate("test.zkaudit/witness", &mut rng(2)).unwrap();
    let witness_vkey = key.verifier_key_string();
    let witness = Witness::new(key, &[log.verifier_key_string()], state)
        .unwrap()
        .with_clock(|| NOW);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router(Arc::new(witness)))
            .await
            .unwrap();
    });
    let mut tree = MemoryTree::new();
    for i in 0..32_u64 {
        tree.push(leaf_hash(&i.to_be_bytes()));
    }
    Fixture {
        url: format!("http://{addr}"),
        log,
        witness_vkey,
        tree,
    }
}

impl Fixture {
    fn request(&self, old: u64, new: u64) -> AddCheckpointRequest {
        let checkpoint = Checkpoint::new(LOG, new, self.tree.root_at(new).unwrap());
        AddCheckpointRequest {
            old_size: old,
            consistency_proof: self.tree.consistency_proof(old, new).unwrap(),
            checkpoint: sign_checkpoint(&checkpoint, &self.log).unwrap(),
        }
    }

    /// Sends the request from a blocking thread, as the log does.
    async fn ask(&self, request: AddCheckpointRequest) -> Result<Vec<u8>, WitnessClientError> {
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || request_cosignature(&url, &request, TIMEOUT))
            .await
            .unwrap()
    }

    /// Posts raw bytes; returns status, content type and body.
    async fn post_raw(&self, body: Vec<u8>) -> (u16, String, Vec<u8>) {
        let url = format!("{}/add-checkpoint", self.url);
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(TIMEOUT))
                .build()
                .into();
            let mut response = agent.post(&url).send(&body[..]).unwrap();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = response.body_mut().read_to_vec().unwrap();
            (response.status().as_u16(), content_type, body)
        })
        .await
        .unwrap()
    }

    fn refused_status(result: Result<Vec<u8>, WitnessClientError>) -> u16 {
        match result {
            Err(WitnessClientError::Refused { status, .. }) => status,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_cosigns_a_growing_log_over_http() {
    let f = start(Box::new(MemoryWitnessState::new())).await;
    let mut old = 0;
    for size in [1, 2, 5, 8, 8, 13, 32] {
        let request = f.request(old, size);
        let note = request.checkpoint.clone();
        let lines = f
            .ask(request)
            .await
            .unwrap_or_else(|e| panic!("size {size}: {e}"));
        let cosigned = add_signature_lines(&note, &[lines]).unwrap();
        let verified = verify_cosignatures(&cosigned, &[&f.witness_vkey]).unwrap();
        assert_eq!(verified.len(), 1, "size {size}");
        assert_eq!(verified[0].name, "test.zkaudit/witness");
        assert_eq!(verified[0].timestamp, NOW);
        old = size;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_old_size_gets_409_with_the_witness_size() {
    let f = start(Box::new(MemoryWitnessState::new())).await;
    f.ask(f.request(0, 10)).await.unwrap();
    match f.ask(f.request(4, 12)).await {
        Err(WitnessClientError::Conflict { witness_size }) => assert_eq!(witness_size, 10),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The log retries from the witness's size.
    f.ask(f.request(10, 12)).await.unwrap();

    // On the wire: `text/x.tlog.size` and `<size>\n`.
    let (status, content_type, body) = f.post_raw(f.request(0, 20).to_bytes()).await;
    assert_eq!(status, 409);
    assert_eq!(content_type, "text/x.tlog.size");
    assert_eq!(body, b"12\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosignature_response_is_plain_text_signature_lines() {
    let f = start(Box::new(MemoryWitnessState::new())).await;
    let (status, content_type, body) = f.post_raw(f.request(0, 3).to_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; charset=utf-8");
    assert!(body.starts_with("— test.zkaudit/witness ".as_bytes()));
    assert!(body.ends_with(b"\n"));
    assert_eq!(body.iter().filter(|&&b| b == b'\n').count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_proofs_forks_and_unknown_or_impostor_logs_are_refused() {
    let f = start(Box::new(MemoryWitnessState::new())).await;
    f.ask(f.request(0, 7)).await.unwrap();

    // 422: the proof does not verify.
    let mut garbled = f.request(7, 9);
    garbled.consistency_proof[0][5] ^= 0x40;
    assert_eq!(Fixture::refused_status(f.ask(garbled).await), 422);

    // 409 (no size): same size, another root.
    let mut fork = f.request(7, 7);
    fork.checkpoint = sign_checkpoint(&Checkpoint::new(LOG, 7, [0xee; 32]), &f.log).unwrap();
    assert_eq!(Fixture::refused_status(f.ask(fork).await), 409);

    // 400: old size above the checkpoint size.
    let mut backwards = f.request(7, 9);
    backwards.old_size = 10;
    assert_eq!(Fixture::refused_status(f.ask(backwards).await), 400);

    // 403: signed by a key the witness does not trust for the log.
    let impostor = NoteSigningKey::generate(LOG, &mut rng(3)).unwrap();
    let mut forged = f.request(7, 9);
    forged.checkpoint = sign_checkpoint(
        &Checkpoint::new(LOG, 9, f.tree.root_at(9).unwrap()),
        &impostor,
    )
    .unwrap();
    assert_eq!(Fixture::refused_status(f.ask(forged).await), 403);

    // 404: a log the witness does not follow.
    let stranger = NoteSigningKey::generate("other.zkaudit/log", &mut rng(4)).unwrap();
    let mut unknown = f.request(0, 3);
    unknown.checkpoint = sign_checkpoint(
        &Checkpoint::new("other.zkaudit/log", 3, f.tree.root_at(3).unwrap()),
        &stranger,
    )
    .unwrap();
    assert_eq!(Fixture::refused_status(f.ask(unknown).await), 404);

    // Nothing above moved the witness: 7 -> 9 still works.
    f.ask(f.request(7, 9)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_bodies_are_refused() {
    let f = start(Box::new(MemoryWitnessState::new())).await;
    for body in [
        b"".to_vec(),
        b"old 1".to_vec(),
        b"old 01\n\nx\n".to_vec(),
        b"old 0\nnot base64\n\nx\n".to_vec(),
        b"old 0\n\nnot a note\n".to_vec(),
    ] {
        let (status, content_type, _) = f.post_raw(body.clone()).await;
        assert_eq!(status, 400, "{:?}", String::from_utf8_lossy(&body));
        assert_eq!(content_type, "text/plain; charset=utf-8");
    }
    let (status, _, _) = f.post_raw(vec![b'a'; 65 * 1024]).await;
    assert_eq!(status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_witness_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let f = start(Box::new(MemoryWitnessState::new())).await;
    let request = f.request(0, 1);
    let result = tokio::task::spawn_blocking(move || {
        request_cosignature(&url, &request, Duration::from_secs(2))
    })
    .await
    .unwrap();
    assert!(
        matches!(result, Err(WitnessClientError::Transport(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_backed_witness_persists_before_answering() {
    let dir = tempfile::tempdir().unwrap();
    let f = start(Box::new(FileWitnessState::open(dir.path()).unwrap())).await;
    f.ask(f.request(0, 6)).await.unwrap();
    // A second witness process over the same directory (after the first is
    // gone, in real life) sees the acknowledged size.
    let reopened = FileWitnessState::open(dir.path()).unwrap();
    assert_eq!(
        reopened.latest(LOG).unwrap(),
        Some((6, f.tree.root_at(6).unwrap()))
    );
}
