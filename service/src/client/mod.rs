//! The client side of the HTTP API: one blocking HTTP client with typed
//! GET/POST and typed errors, and what the command line, the demos, the
//! tests and the benches do with it — key files, the holder's wallet,
//! proving-key download and per-domain calls.
//!
//! It knows the server only through its serde view types
//! (`crate::domains::<domain>` views, `crate::api::log` bodies).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ureq::Agent;
use ureq::http::StatusCode;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_verifier::Receipt;

use crate::api::log::AppendBody;

pub mod ceremony;
pub mod election;
pub mod funds;
pub mod health;
pub mod identity;
pub mod keys;
pub mod land;
pub mod mirror;
pub mod proving_key;
pub mod schema;
pub mod wallet;

/// Where the CLI finds the log unless told otherwise (`--server`,
/// `ZKAUDIT_SERVER`).
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The largest text (JSON) answer the client reads: 1 GiB.
pub const MAX_TEXT_RESPONSE: u64 = 1 << 30;

/// The largest binary answer the client reads (tiles, proving keys): 16 MiB.
pub const MAX_BYTES_RESPONSE: u64 = 16 * 1024 * 1024;

/// How long a file transfer (a ceremony key or phase-1 file, hundreds of
/// megabytes on a slow link) may take; other calls have 60 s.
pub const FILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);

/// The service's `{"error": {"code", "message"}}` answer, or the raw text
/// of an answer that is not one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The machine-readable code (`already_used`, `stale_root`, …), if any.
    pub code: Option<String>,
    /// The message, or the first 500 characters of a raw answer.
    pub message: String,
}

impl ApiError {
    fn parse(text: &str) -> Self {
        let parsed = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| {
                let e = v.get("error")?;
                Some(Self {
                    message: e.get("message")?.as_str()?.to_owned(),
                    code: Some(e.get("code")?.as_str()?.to_owned()),
                })
            });
        parsed.unwrap_or_else(|| Self {
            code: None,
            message: text.chars().take(500).collect(),
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} ({code})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What a refused request was, for the refusal's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Appending a signed record.
    Append,
    /// Another POST.
    Post,
    /// A GET.
    Get,
}

/// Why a request to a log failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not reach the log or no answer came back.
    #[error("{action} {url}")]
    Transport {
        /// `sending to` or `requesting`.
        action: &'static str,
        /// The URL (for an append, the log's base URL).
        url: String,
        /// What went wrong.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The answer's body could not be read (or exceeded its size limit).
    #[error("reading {path}")]
    Read {
        /// The path asked for.
        path: String,
        /// What went wrong.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The log answered with an error status.
    #[error("{}", refusal(*.call, .path, *.status, .error))]
    Refused {
        /// What was asked.
        call: Call,
        /// The path asked for.
        path: String,
        /// The HTTP status.
        status: StatusCode,
        /// The service's error.
        error: ApiError,
    },
    /// The answer is not the JSON expected.
    #[error("{what}")]
    Decode {
        /// What was expected, as the message says it.
        what: String,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
}

fn refusal(call: Call, path: &str, status: StatusCode, error: &ApiError) -> String {
    match call {
        Call::Append => format!("the log refused the record ({status}): {error}"),
        Call::Post => format!("refused ({status}): {error}"),
        Call::Get => format!("{path}: {status}: {error}"),
    }
}

impl ClientError {
    /// The service's error code when the log refused the request.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused { error, .. } => error.code.as_deref(),
            _ => None,
        }
    }
}

/// Talks to one zkaudit log.
pub struct Client {
    base: String,
    agent: Agent,
    /// The log's origin, asked for once.
    origin: std::sync::OnceLock<String>,
}

impl Client {
    /// A client for the log at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .into();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent,
            origin: std::sync::OnceLock::new(),
        }
    }

    /// A client for the log at `base` whose origin is known (from a pinned
    /// verifier key): records are signed for `origin` without asking.
    pub fn for_origin(base: &str, origin: &str) -> Self {
        let client = Self::new(base);
        let _ = client.origin.set(origin.to_owned());
        client
    }

    /// The log's origin (`GET /v1/log`, asked once): the log every record
    /// this client signs names, so that no other log accepts it.
    pub fn origin(&self) -> Result<&str, ClientError> {
        if let Some(origin) = self.origin.get() {
            return Ok(origin);
        }
        #[derive(Deserialize)]
        struct Info {
            origin: String,
        }
        let info: Info = self.get("/v1/log")?;
        Ok(self.origin.get_or_init(|| info.origin))
    }

    /// `payload` as a `domain/kind` record for this client's log, signed by
    /// `key`, stamped now.
    pub fn sign(
        &self,
        key: &impl RecordSigner,
        domain: &str,
        kind: &str,
        payload: Vec<u8>,
    ) -> anyhow::Result<Record> {
        keys::sign(self.origin()?, key, domain, kind, payload)
    }

    /// The log's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Appends a signed record; returns the receipt.
    pub fn append(&self, record: &Record) -> Result<Receipt, ClientError> {
        let body = AppendBody {
            record: record_base64(record),
        };
        let text = self.send(Call::Append, "/v1/log/entries", &body)?;
        decode(&text, "the log's answer is not a receipt")
    }

    /// Signs `payload` as `domain/kind`, stamped now, and appends it.
    pub fn append_signed(
        &self,
        key: &NoteSigningKey,
        domain: &str,
        kind: &str,
        payload: Vec<u8>,
    ) -> anyhow::Result<Receipt> {
        let record = self.sign(key, domain, kind, payload)?;
        Ok(self.append(&record)?)
    }

    /// POSTs JSON to `path` and parses the answer as `T`.
    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let text = self.send(Call::Post, path, body)?;
        decode(&text, "the answer is not JSON")
    }

    /// POSTs JSON to `path` and returns the JSON answer.
    pub fn post_json(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<serde_json::Value, ClientError> {
        self.post(path, body)
    }

    /// GETs `path` and parses the answer as `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let text = self.get_text(path)?;
        decode(&text, &format!("unexpected answer from {path}"))
    }

    /// GETs `path` and parses JSON.
    pub fn get_json(&self, path: &str) -> Result<serde_json::Value, ClientError> {
        let text = self.get_text(path)?;
        decode(&text, "the log's answer is not JSON")
    }

    /// GETs `path` as bytes (at most [`MAX_BYTES_RESPONSE`]).
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        self.get_bytes_up_to(path, MAX_BYTES_RESPONSE)
    }

    /// GETs `path` as bytes, at most `limit` of them (key and phase-1
    /// files run to hundreds of megabytes).
    /// They may take long on a slow link: the call has [`FILE_TIMEOUT`].
    pub fn get_bytes_up_to(&self, path: &str, limit: u64) -> Result<Vec<u8>, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .config()
            .timeout_global(Some(FILE_TIMEOUT))
            .build()
            .call()
            .map_err(transport("requesting", url))?;
        let status = response.status();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| read_error(path, e))?;
        refused_unless_success(Call::Get, path, status, &String::from_utf8_lossy(&bytes))?;
        Ok(bytes)
    }

    /// GETs `path` as text (at most [`MAX_TEXT_RESPONSE`]).
    pub fn get_text(&self, path: &str) -> Result<String, ClientError> {
        let mut response = self.call_get(path)?;
        let status = response.status();
        // Bundles of large periods and elections run to tens of megabytes
        // (ureq's default cap is 10 MB).
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_TEXT_RESPONSE)
            .read_to_string()
            .map_err(|e| read_error(path, e))?;
        refused_unless_success(Call::Get, path, status, &text)?;
        Ok(text)
    }

    fn call_get(&self, path: &str) -> Result<ureq::http::Response<ureq::Body>, ClientError> {
        let url = format!("{}{path}", self.base);
        self.agent
            .get(&url)
            .call()
            .map_err(transport("requesting", url))
    }

    /// POSTs `bytes` (`application/octet-stream`) to `path` with one extra
    /// header, and parses the answer as `T` (with [`FILE_TIMEOUT`]).
    pub fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        header: (&str, &str),
        bytes: &[u8],
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let response = self
            .agent
            .post(&url)
            .config()
            .timeout_global(Some(FILE_TIMEOUT))
            .build()
            .header("content-type", "application/octet-stream")
            .header(header.0, header.1)
            .send(bytes)
            .map_err(transport("sending to", url))?;
        let text = answer_text(Call::Post, path, response)?;
        decode(&text, "the answer is not JSON")
    }

    /// POSTs a FHIR resource (`application/fhir+json`) to `path` with
    /// extra headers, and parses the answer as `T`.
    pub fn post_fhir<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, String)],
        resource: &serde_json::Value,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .agent
            .post(&url)
            .header("content-type", "application/fhir+json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let body = serde_json::to_vec(resource).map_err(|source| ClientError::Decode {
            what: "the resource cannot be written as JSON".into(),
            source,
        })?;
        let response = request
            .send(&body[..])
            .map_err(transport("sending to", url))?;
        let text = answer_text(Call::Post, path, response)?;
        decode(&text, "the answer is not JSON")
    }

    fn send(&self, call: Call, path: &str, body: &impl Serialize) -> Result<String, ClientError> {
        let url = format!("{}{path}", self.base);
        let response =
            self.agent
                .post(&url)
                .send_json(body)
                .map_err(|e| ClientError::Transport {
                    action: "sending to",
                    // An append names the log, other POSTs the route.
                    url: if call == Call::Append {
                        self.base.clone()
                    } else {
                        url.clone()
                    },
                    source: Box::new(e),
                })?;
        answer_text(call, path, response)
    }
}

/// The body of an answer to `call` on `path`, or the service's refusal.
fn answer_text(
    call: Call,
    path: &str,
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<String, ClientError> {
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| read_error(path, e))?;
    refused_unless_success(call, path, status, &text)?;
    Ok(text)
}

/// A failed exchange with `url` while `action` ("requesting", "sending to").
fn transport(action: &'static str, url: String) -> impl FnOnce(ureq::Error) -> ClientError {
    move |e| ClientError::Transport {
        action,
        url,
        source: Box::new(e),
    }
}

fn read_error(path: &str, e: ureq::Error) -> ClientError {
    ClientError::Read {
        path: path.to_owned(),
        source: Box::new(e),
    }
}

fn refused_unless_success(
    call: Call,
    path: &str,
    status: StatusCode,
    text: &str,
) -> Result<(), ClientError> {
    if status.is_success() {
        return Ok(());
    }
    Err(ClientError::Refused {
        call,
        path: path.to_owned(),
        status,
        error: ApiError::parse(text),
    })
}

fn decode<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, ClientError> {
    serde_json::from_str(text).map_err(|source| ClientError::Decode {
        what: what.to_owned(),
        source,
    })
}

/// Encodes a record for the API.
pub fn record_base64(record: &Record) -> String {
    BASE64.encode(record.encode())
}
