//! A small blocking HTTP client for the CLI.

use anyhow::{Context, Result, bail};
use ureq::Agent;
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;

use crate::api::log::AppendBody;

pub mod mirror;

/// The largest text (JSON) answer the client reads: 1 GiB.
pub const MAX_TEXT_RESPONSE: u64 = 1 << 30;

/// Talks to one zkaudit log.
pub struct Client {
    base: String,
    agent: Agent,
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
        }
    }

    /// Appends a signed record; returns the receipt.
    pub fn append(&self, record: &Record) -> Result<Receipt> {
        let body = AppendBody {
            record: crate::cli::record_base64(record),
        };
        let mut response = self
            .agent
            .post(format!("{}/v1/log/entries", self.base))
            .send_json(&body)
            .with_context(|| format!("sending to {}", self.base))?;
        let status = response.status();
        let text = response.body_mut().read_to_string()?;
        if !status.is_success() {
            bail!(
                "the log refused the record ({status}): {}",
                error_message(&text)
            );
        }
        serde_json::from_str(&text).context("the log's answer is not a receipt")
    }

    /// POSTs JSON to `path` and parses the JSON answer.
    pub fn post_json(&self, path: &str, body: &impl serde::Serialize) -> Result<serde_json::Value> {
        let mut response = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_json(body)
            .with_context(|| format!("sending to {}{path}", self.base))?;
        let status = response.status();
        let text = response.body_mut().read_to_string()?;
        if !status.is_success() {
            bail!("refused ({status}): {}", error_message(&text));
        }
        serde_json::from_str(&text).context("the answer is not JSON")
    }

    /// GETs `path` and parses JSON.
    pub fn get_json(&self, path: &str) -> Result<serde_json::Value> {
        let text = self.get_text(path)?;
        serde_json::from_str(&text).context("the log's answer is not JSON")
    }

    /// GETs `path` as bytes.
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .with_context(|| format!("requesting {}{path}", self.base))?;
        let status = response.status();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_vec()?;
        if !status.is_success() {
            bail!(
                "{path}: {status}: {}",
                error_message(&String::from_utf8_lossy(&bytes))
            );
        }
        Ok(bytes)
    }

    /// GETs `path` as text.
    pub fn get_text(&self, path: &str) -> Result<String> {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .with_context(|| format!("requesting {}{path}", self.base))?;
        let status = response.status();
        // Bundles of large periods and elections run to tens of megabytes
        // (ureq's default cap is 10 MB).
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_TEXT_RESPONSE)
            .read_to_string()
            .with_context(|| format!("reading {path}"))?;
        if !status.is_success() {
            bail!("{path}: {status}: {}", error_message(&text));
        }
        Ok(text)
    }
}

/// The message of the service's `{"error": {...}}` shape, or the raw text.
fn error_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            let e = v.get("error")?;
            Some(format!(
                "{} ({})",
                e.get("message")?.as_str()?,
                e.get("code")?.as_str()?
            ))
        })
        .unwrap_or_else(|| text.chars().take(500).collect())
}
