//! The log's witness client: asks a witness to cosign a checkpoint.

use std::time::Duration;

use axum::http::header;
use zkaudit_ledger::note::split_signature_lines;
use zkaudit_ledger::witness::{AddCheckpointRequest, TLOG_SIZE_CONTENT_TYPE};

use super::{ADD_CHECKPOINT_PATH, COSIGNATURE_CONTENT_TYPE};

/// The largest response body the client reads from a witness.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// The longest witness error message the client keeps.
const MAX_ERROR_MESSAGE_CHARS: usize = 200;

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessClientError {
    /// 409 with a size: the witness's latest cosigned size for the log is
    /// `witness_size`, not the request's old size. Retry from that size.
    #[error("witness has cosigned size {witness_size} of this log, not the old size sent")]
    Conflict {
        /// The witness's latest cosigned size.
        witness_size: u64,
    },
    /// Any other refusal (400, 403, 404, 409 fork, 422, 5xx, …).
    #[error("witness answered HTTP {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The witness's explanation, sanitised and truncated.
        message: String,
    },
    /// The witness's answer does not follow the protocol.
    #[error("malformed witness response: {0}")]
    MalformedResponse(&'static str),
    /// The request could not be sent or the answer not read (connection,
    /// timeout, TLS, invalid URL).
    #[error("witness request failed")]
    Transport(#[source] ureq::Error),
}

/// Asks the witness at `witness_url` (its submission prefix;
/// `/add-checkpoint` is appended) to cosign the request's checkpoint, and
/// returns its signature line(s), checked for syntax but not verified.
///
/// Blocking: call it off the async runtime. `timeout` bounds the whole
/// exchange.
pub fn request_cosignature(
    witness_url: &str,
    request: &AddCheckpointRequest,
    timeout: Duration,
) -> Result<Vec<u8>, WitnessClientError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{ADD_CHECKPOINT_PATH}", witness_url.trim_end_matches('/'));
    let mut response = agent
        .post(&url)
        .content_type(COSIGNATURE_CONTENT_TYPE)
        .send(&request.to_bytes()[..])
        .map_err(WitnessClientError::Transport)?;
    let status = response.status().as_u16();
    let is_size = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            value
                .as_bytes()
                .starts_with(TLOG_SIZE_CONTENT_TYPE.as_bytes())
        });
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(WitnessClientError::Transport)?;
    interpret_response(status, is_size, body)
}

fn interpret_response(
    status: u16,
    is_size: bool,
    body: Vec<u8>,
) -> Result<Vec<u8>, WitnessClientError> {
    match status {
        200 => cosignature_lines(body),
        409 if is_size => Err(WitnessClientError::Conflict {
            witness_size: parse_size_body(&body)?,
        }),
        _ => Err(WitnessClientError::Refused {
            status,
            message: sanitize_message(&body),
        }),
    }
}

fn cosignature_lines(body: Vec<u8>) -> Result<Vec<u8>, WitnessClientError> {
    split_signature_lines(&body)
        .map(|lines| lines.concat())
        .map_err(|_| WitnessClientError::MalformedResponse("not note signature lines"))
}

/// Parses a `text/x.tlog.size` body: an ASCII decimal and a newline.
fn parse_size_body(body: &[u8]) -> Result<u64, WitnessClientError> {
    let malformed = WitnessClientError::MalformedResponse("bad size in 409 response");
    let digits = body.strip_suffix(b"\n").ok_or(malformed)?;
    let canonical = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits[0] != b'0');
    std::str::from_utf8(digits)
        .ok()
        .filter(|_| canonical)
        .and_then(|text| text.parse().ok())
        .ok_or(WitnessClientError::MalformedResponse(
            "bad size in 409 response",
        ))
}

/// Keeps printable characters of the first line, truncated.
fn sanitize_message(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_ERROR_MESSAGE_CHARS)
        .collect()
}
