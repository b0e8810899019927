//! Writers, and the checks every fault test makes: what was acknowledged
//! is there, every checkpoint handed out is extended by the later ones, and
//! every refusal is a clear `503 storage_unavailable`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_verifier::{Receipt, verify_extension};

use crate::common::app::App;
use crate::common::{self, notice};

/// One answer to `POST /v1/log/entries`.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

/// The service under test, in this process or over HTTP.
pub trait Api: Sync {
    /// `POST /v1/log/entries` with `record`; `None` if the connection failed.
    fn post_record(&self, record: &Record) -> Option<Answer>;
    /// `GET path`: the status and the JSON body.
    fn get_json(&self, path: &str) -> (u16, Value);
}

/// A spawned server, over HTTP.
pub struct Http {
    pub base: String,
    pub agent: ureq::Agent,
}

impl Http {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            agent: common::agent(),
        }
    }
}

impl Api for Http {
    fn post_record(&self, record: &Record) -> Option<Answer> {
        let body = serde_json::json!({ "record": BASE64.encode(record.encode()) });
        let mut response = self
            .agent
            .post(format!("{}/v1/log/entries", self.base))
            .send_json(&body)
            .ok()?;
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.body_mut().read_to_string().ok()?;
        Some(Answer {
            status: response.status().as_u16(),
            retry_after,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        })
    }

    fn get_json(&self, path: &str) -> (u16, Value) {
        common::get_json(&self.agent, &format!("{}{path}", self.base))
    }
}

impl Api for App {
    fn post_record(&self, record: &Record) -> Option<Answer> {
        let request = axum::http::Request::post("/v1/log/entries")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                serde_json::to_vec(
                    &serde_json::json!({ "record": BASE64.encode(record.encode()) }),
                )
                .unwrap(),
            ))
            .unwrap();
        let (status, headers, body) = self.exchange(request);
        Some(Answer {
            status,
            retry_after: headers
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        })
    }

    fn get_json(&self, path: &str) -> (u16, Value) {
        App::get_json(self, path)
    }
}

/// Everything the writers were told.
#[derive(Default)]
pub struct Ledger {
    /// index → record id, from 201/200 answers.
    pub acked: BTreeMap<u64, String>,
    /// checkpoint size → the signed note handed out with an answer.
    pub checkpoints: BTreeMap<u64, String>,
    /// Records refused with `503 storage_unavailable`, to be resent.
    pub refused: Vec<Record>,
    /// Distinct refusal messages.
    pub messages: HashSet<String>,
    /// Requests that got no answer at all (connection failed).
    pub unanswered: usize,
}

/// How the test expects refusals to read.
pub struct Expect<'a> {
    /// The log's verifier key (receipts are verified against it).
    pub log_key: &'a str,
    /// One of these must appear in every refusal's message.
    pub fault_words: &'a [&'a str],
}

impl Ledger {
    /// Records one answer; panics on anything but an acknowledgement with a
    /// valid receipt or a clear storage refusal. Returns true if acknowledged.
    pub fn record(&mut self, record: &Record, answer: Option<Answer>, expect: &Expect) -> bool {
        let Some(answer) = answer else {
            self.unanswered += 1;
            return false;
        };
        match answer.status {
            200 | 201 => {
                let receipt: Receipt = serde_json::from_value(answer.body.clone())
                    .unwrap_or_else(|e| panic!("a {} carries a receipt: {e}", answer.status));
                // The inclusion proof in the receipt checks against the
                // signed checkpoint handed out with it.
                receipt.verify(expect.log_key).expect("a valid receipt");
                if let Some(previous) = self.acked.insert(receipt.index, receipt.record_id.clone())
                {
                    assert_eq!(
                        previous, receipt.record_id,
                        "index {} acknowledged for two records",
                        receipt.index
                    );
                }
                let size = checkpoint_size(&receipt.checkpoint);
                self.checkpoints.insert(size, receipt.checkpoint);
                true
            }
            503 => {
                let error = &answer.body["error"];
                assert_eq!(
                    error["code"], "storage_unavailable",
                    "a write refused by a storage fault says so: {}",
                    answer.body
                );
                let message = error["message"].as_str().unwrap().to_owned();
                assert!(
                    expect.fault_words.iter().any(|w| message.contains(w)),
                    "the refusal names the fault (one of {:?}): {message}",
                    expect.fault_words
                );
                let retry: u64 = answer
                    .retry_after
                    .as_deref()
                    .expect("a storage refusal carries Retry-After")
                    .parse()
                    .unwrap();
                assert!(retry > 0);
                self.refused.push(record.clone());
                self.messages.insert(message);
                false
            }
            status => panic!("unexpected answer {status}: {}", answer.body),
        }
    }
}

fn checkpoint_size(note: &str) -> u64 {
    note.lines().nth(1).unwrap().parse().unwrap()
}

/// `writers` threads each submit `per_writer` fresh records tagged `tag`.
/// Returns how many were acknowledged.
pub fn write_round(
    api: &dyn Api,
    key: &NoteSigningKey,
    tag: &str,
    writers: usize,
    per_writer: usize,
    ledger: &Mutex<Ledger>,
    expect: &Expect,
) -> usize {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                scope.spawn(move || {
                    let mut acked = 0;
                    for i in 0..per_writer {
                        let record = notice(key, &format!("{tag} writer {w} notice {i}"));
                        let answer = api.post_record(&record);
                        if ledger.lock().unwrap().record(&record, answer, expect) {
                            acked += 1;
                        }
                    }
                    acked
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// Writes rounds until at least `refusals` writes were refused (or the
/// deadline passes, which fails the test).
pub fn write_until_refused(
    api: &dyn Api,
    key: &NoteSigningKey,
    ledger: &Mutex<Ledger>,
    expect: &Expect,
    refusals: usize,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut round = 0;
    while ledger.lock().unwrap().refused.len() < refusals {
        assert!(
            Instant::now() < deadline,
            "writes were never refused during the fault"
        );
        write_round(api, key, &format!("fault {round}"), 2, 5, ledger, expect);
        round += 1;
    }
}

/// Writes one record at a time until one is acknowledged: the service
/// recovered by itself. Fails the test after a generous deadline.
pub fn write_until_accepted(
    api: &dyn Api,
    key: &NoteSigningKey,
    ledger: &Mutex<Ledger>,
    expect: &Expect,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for i in 0.. {
        let record = notice(key, &format!("recovery probe {i}"));
        let answer = api.post_record(&record);
        if ledger.lock().unwrap().record(&record, answer, expect) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "writes did not resume after the fault was removed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Resends every refused record: each is acknowledged now — at a new
/// index, or at the one it got if its commit did land after all.
pub fn resend_refused(api: &dyn Api, ledger: &Mutex<Ledger>, expect: &Expect) {
    let refused = std::mem::take(&mut ledger.lock().unwrap().refused);
    for record in &refused {
        let answer = api.post_record(record);
        assert!(
            ledger.lock().unwrap().record(record, answer, expect),
            "a refused record is accepted when resent after the fault"
        );
    }
}

/// `/healthz` reports the write fault (503, naming it) or health.
pub fn assert_health(api: &dyn Api, fault_words: Option<&[&str]>) {
    let (status, health) = api.get_json("/healthz");
    match fault_words {
        Some(words) => {
            assert_eq!(status, 503, "{health}");
            let writes = health["writes"].as_str().unwrap();
            assert!(
                words.iter().any(|w| writes.contains(w)),
                "health names the fault: {health}"
            );
        }
        None => {
            assert_eq!(status, 200, "{health}");
            assert_eq!(health["writes"], "ok");
        }
    }
}

/// Reads and proofs over what was acknowledged: answered (200), or, when
/// the store itself is unreachable, refused as `503 storage_unavailable`.
/// Returns how many were answered.
pub fn read_back(api: &dyn Api, ledger: &Mutex<Ledger>, tolerate_unavailable: bool) -> usize {
    let (indices, sizes): (Vec<u64>, Vec<u64>) = {
        let ledger = ledger.lock().unwrap();
        (
            ledger.acked.keys().step_by(7).copied().collect(),
            ledger.checkpoints.keys().copied().collect(),
        )
    };
    let latest = *sizes.last().unwrap();
    let mut paths: Vec<String> = indices
        .iter()
        .flat_map(|i| {
            [
                format!("/v1/log/entries/{i}"),
                format!("/v1/log/entries/{i}/inclusion"),
            ]
        })
        .collect();
    paths.push("/v1/log/checkpoint".into());
    paths.push(format!("/v1/log/consistency?from={}&to={latest}", sizes[0]));
    let mut answered = 0;
    for path in &paths {
        let (status, body) = api.get_json(path);
        match status {
            200 => answered += 1,
            503 if tolerate_unavailable => {
                assert_eq!(
                    body["error"]["code"], "storage_unavailable",
                    "{path}: {body}"
                );
            }
            _ => panic!("{path} answered {status} during the fault: {body}"),
        }
    }
    answered
}

/// Every acknowledged entry is in the log at its index with its record,
/// no record is logged twice, and every checkpoint handed out is extended
/// by the latest one. Returns the log size.
pub fn check_everything(api: &dyn Api, ledger: &Ledger, log_key: &str) -> u64 {
    let (status, latest) = api.get_json("/v1/log/checkpoint");
    assert_eq!(status, 200, "{latest}");
    let latest_note = latest["note"].as_str().unwrap().to_owned();
    let size = checkpoint_size(&latest_note);
    let max_acked = *ledger.acked.keys().last().unwrap();
    assert!(
        size > max_acked,
        "log size {size} lost acknowledged index {max_acked}"
    );
    let mut ids = HashSet::new();
    for (index, record_id) in &ledger.acked {
        let (status, entry) = api.get_json(&format!("/v1/log/entries/{index}"));
        assert_eq!(
            status, 200,
            "acknowledged entry {index} is missing: {entry}"
        );
        assert_eq!(
            entry["record_id"].as_str().unwrap(),
            record_id,
            "index {index}"
        );
        assert!(
            ids.insert(record_id.clone()),
            "record {record_id} logged twice"
        );
    }
    for (old_size, old_note) in &ledger.checkpoints {
        let (status, proof) =
            api.get_json(&format!("/v1/log/consistency?from={old_size}&to={size}"));
        assert_eq!(status, 200, "{proof}");
        let proof: Vec<String> = serde_json::from_value(proof["proof"].clone()).unwrap();
        verify_extension(old_note.as_bytes(), latest_note.as_bytes(), &proof, log_key)
            .unwrap_or_else(|e| panic!("checkpoint {old_size} is not extended by {size}: {e}"));
    }
    size
}
