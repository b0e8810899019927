//! The election service as a client sees it: the logged spec, the key
//! ceremony, records signed by the commission or a trustee, and (in
//! [`ballot`]) a voter's ballots; the trustee's side is in [`trustee`].

use crate::domains::election::{CeremonyView, ElectionView};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_circuits::threshold::dkg::{Complaint, Dealing};
use zkaudit_ledger::election::{CREATE, DOMAIN, ElectionSpec};

use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;

use crate::client::Client;

pub mod ballot;
pub mod choices;
pub mod trustee;

pub use ballot::{BallotContext, ballot_body, cast};
pub use trustee::{
    CheckSummary, TrusteeKey, TrusteePublic, check_shares, make_dealing, partial_decryptions,
    post_dealing,
};

/// The election `id` as the service shows it.
pub fn view(client: &Client, id: &str) -> Result<ElectionView> {
    Ok(client.get(&format!("/v1/elections/{id}"))?)
}

/// The election's spec, decoded from its logged `election.create` record.
pub fn election_spec(client: &Client, id: &str) -> Result<ElectionSpec> {
    let view = view(client, id)?;
    let entry = client.get_json(&format!("/v1/log/entries/{}", view.created_at))?;
    let record = Record::decode(
        &BASE64
            .decode(entry["record"].as_str().context("entry without record")?)
            .context("entry record is not base64")?,
    )?;
    if record.domain() != DOMAIN || record.kind() != CREATE {
        bail!("log entry {} is not an election.create", view.created_at);
    }
    let spec = ElectionSpec::decode(record.payload())?;
    if spec.id != id {
        bail!("log entry {} creates another election", view.created_at);
    }
    Ok(spec)
}

/// Signs `payload` as `election/kind` with `key` and appends it.
pub fn post_election_record(
    client: &Client,
    key: &NoteSigningKey,
    kind: &str,
    payload: Vec<u8>,
) -> Result<Receipt> {
    client.append_signed(key, DOMAIN, kind, payload)
}

/// The logged dealings and complaints of an election.
pub fn ceremony(client: &Client, spec: &ElectionSpec) -> Result<(Vec<Dealing>, Vec<Complaint>)> {
    let view: CeremonyView = client.get(&format!("/v1/elections/{}/ceremony", spec.id))?;
    let params = spec.params()?;
    let dealings = view
        .dealings
        .iter()
        .map(|(_, h)| {
            Dealing::from_bytes(&params, &hex::decode(h)?)
                .map_err(|e| anyhow::anyhow!("a logged dealing: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let complaints = view
        .complaints
        .iter()
        .map(|h| {
            Complaint::from_bytes(&hex::decode(h)?)
                .map_err(|e| anyhow::anyhow!("a logged complaint: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((dealings, complaints))
}
