//! Land titles as a client sees it: a parcel's current title, the terms
//! of its next event, and the registrar's record for fully signed terms.

use anyhow::{Context, Result};
use zkaudit_ledger::land::{Action, DOMAIN, Terms, TitleCredential, TitleEvent};
use zkaudit_ledger::record::Record;

use super::Client;
use super::keys::hex32;
use crate::domains::land::ParcelView;

/// Fetches a parcel's current title.
pub fn show(client: &Client, parcel: &str) -> Result<ParcelView> {
    let value = client.get_json(&format!("/v1/land/parcels/{parcel}"))?;
    serde_json::from_value(value).context("the server's answer is not a parcel")
}

/// Builds terms for the parcel's next version from its current title.
pub fn next_terms(view: &ParcelView, action: Action) -> Result<Terms> {
    Ok(Terms {
        parcel: view.parcel.clone(),
        version: view.version + 1,
        previous: hex32("head", &view.head)?,
        time_ms: crate::clock::now_ms(),
        action,
    })
}

/// Builds the registrar's record for `client`'s log from fully signed
/// terms; `owner_leaf` is the seller's credential leaf (transfers).
pub fn event_record(
    client: &Client,
    terms: Terms,
    signatures: [[u8; 64]; 2],
    owner_leaf: Option<u64>,
    registrar: &impl zkaudit_ledger::record::RecordSigner,
) -> Result<Record> {
    let credential = match terms.action {
        Action::Transfer { .. } => Some(TitleCredential {
            revoke_leaf: owner_leaf
                .context("the owner's title credential is not in the title registry")?,
        }),
        _ => None,
    };
    let kind = terms.action.kind();
    let event = TitleEvent {
        terms,
        signatures,
        credential,
    };
    client.sign(registrar, DOMAIN, kind, event.encode())
}
