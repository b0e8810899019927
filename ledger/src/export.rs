//! What the exports to the fields' own standards share (GS1 EPCIS for the
//! vaccine chain, OCDS for procurement): the log evidence a document
//! carries, and the standards' spellings of times, dates and identifiers.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What ties an exported document to the log: the signed checkpoint its
/// proofs are against, and each entry's inclusion proof (hex hashes,
/// RFC 9162), by log index.
#[derive(Clone, Copy, Debug)]
pub struct LogEvidence<'a> {
    /// The checkpoint (signed-note text).
    pub checkpoint: &'a str,
    /// Inclusion proofs by log index.
    pub proofs: &'a BTreeMap<u64, Vec<String>>,
}

/// `text` percent-encoded but for RFC 3986's unreserved characters, so any
/// identifier is one valid URI segment.
pub fn uri_part(text: &str) -> String {
    const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(text, RESERVED).to_string()
}

/// Unix ms as an RFC 3339 UTC time, milliseconds included.
pub fn timestamp(ms: u64) -> String {
    utc(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Unix ms as a calendar date (UTC), `YYYY-MM-DD`.
pub fn date(ms: u64) -> String {
    utc(ms).format("%Y-%m-%d").to_string()
}

/// Unix ms as a UTC time; beyond chrono's range (year 262,143), its last
/// moment (no record holds such a time: the service refuses it).
fn utc(ms: u64) -> DateTime<Utc> {
    i64::try_from(ms)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
