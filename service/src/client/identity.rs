//! The identity service as a client sees it: registries and their members,
//! scopes, claims and their bundles.

use anyhow::{Context, Result, bail};
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::{Fr, fr_from_decimal};
use zkaudit_verifier::Receipt;

use super::Client;
use crate::domains::identity::{ClaimBody, MembersPage, RegistryView, ScopeView};

/// The attribute values of registry `id` that the FHIR `Immunization` in
/// `file` states, in the registry's order.
pub fn attributes_from_fhir(client: &Client, id: &str, file: &std::path::Path) -> Result<Vec<u64>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let immunization: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let view = registry(client, id)?;
    Ok(zkaudit_ledger::health::fhir::immunization_attributes(
        &immunization,
        &view.attributes,
    )?)
}

/// The registry `id` as the service publishes it.
pub fn registry(client: &Client, id: &str) -> Result<RegistryView> {
    Ok(client.get(&format!("/v1/identity/registries/{id}"))?)
}

/// The claim scope `id`.
pub fn scope(client: &Client, id: &str) -> Result<ScopeView> {
    Ok(client.get(&format!("/v1/identity/scopes/{id}"))?)
}

/// The first `size` members (leaves) of registry `registry`, page by page.
pub fn all_members(client: &Client, registry: &str, size: u64) -> Result<Vec<Fr>> {
    let mut leaves = Vec::with_capacity(size as usize);
    while (leaves.len() as u64) < size {
        let page: MembersPage = client.get(&format!(
            "/v1/identity/registries/{registry}/members?start={}",
            leaves.len()
        ))?;
        if page.leaves.is_empty() {
            break;
        }
        for l in &page.leaves {
            leaves.push(fr_from_decimal(l).map_err(|_| anyhow::anyhow!("malformed member {l:?}"))?);
        }
    }
    leaves.truncate(size as usize);
    Ok(leaves)
}

/// A registry with all its members and their tree, checked against the
/// logged root. Every member is fetched, not just a holder's path: the
/// service learns nothing about which one is proving.
pub struct RegistryTree {
    /// The registry as published.
    pub view: RegistryView,
    /// Its members, in order.
    pub leaves: Vec<Fr>,
    /// Their tree.
    pub tree: LeanImt,
    /// The tree's root, the logged one.
    pub root: Fr,
}

impl RegistryTree {
    /// Fetches registry `id` and its members and checks they hash to its logged root.
    pub fn fetch(client: &Client, id: &str) -> Result<Self> {
        let view = registry(client, id)?;
        let leaves = all_members(client, id, view.size)?;
        let tree = LeanImt::from_leaves(&leaves);
        let root = tree.root().context("empty registry")?;
        if Some(root.to_string()) != view.root {
            bail!("the registry's members do not hash to its logged root; retry in a moment");
        }
        Ok(Self {
            view,
            leaves,
            tree,
            root,
        })
    }

    /// The index of the latest member `leaf`.
    pub fn index_of(&self, leaf: &Fr) -> Result<usize> {
        self.leaves
            .iter()
            .rposition(|l| l == leaf)
            .context("your credential is not in the registry (revoked, or not issued yet)")
    }
}

/// Submits a claim; returns the receipt.
pub fn submit_claim(client: &Client, body: &ClaimBody) -> Result<Receipt> {
    Ok(client.post("/v1/identity/claims", body)?)
}

/// The claim bundle of the claim logged at `index`.
pub fn claim_bundle(client: &Client, index: u64) -> Result<serde_json::Value> {
    Ok(client.get_json(&format!("/v1/identity/claims/{index}/bundle"))?)
}
