//! `zkaudit demo identity`: a civil registry issues credentials and a
//! benefits office lets eligible citizens claim once, privately; the
//! holders and claim proving the health demo reuses.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use indicatif::ProgressBar;
use rand::SeedableRng;
use zkaudit_circuits::Fr;
use zkaudit_circuits::eligibility::{
    EligibilityCircuit, EligibilityPublic, EligibilityShape, EligibilityWitness, credential_leaf,
    public_inputs,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{
    CREDENTIAL_ISSUE, CREDENTIAL_REVOKE, CredentialIssue, CredentialRevoke, DOMAIN,
    REGISTRY_CREATE, RegistrySpec, SCOPE_CREATE, ScopeSpec, claim_message_field, scope_field,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_prover::{KeyCache, prove_batch_with_progress};
use zkaudit_verifier::Receipt;
use zkaudit_verifier::groth16::{self, verify_batch};

use super::scene::{bar, demo_authority, start_service};
use crate::client::Client;
use crate::domains::identity::ClaimBody;
use crate::domains::identity::{MembersPage, RegistryView};

/// The demo's authorities: the development config plus an issuer and a
/// benefits office, with their keys beside the config.
pub(crate) fn prepare(data: &Path) -> Result<(NoteSigningKey, NoteSigningKey)> {
    Ok((
        demo_authority(
            data,
            "demo-civil-registry",
            &[
                "identity/registry.create",
                "identity/credential.issue",
                "identity/credential.revoke",
            ],
        )?,
        demo_authority(data, "demo-benefits-office", &["identity/scope.create"])?,
    ))
}

fn post(client: &Client, key: &NoteSigningKey, kind: &str, payload: Vec<u8>) -> Result<Receipt> {
    let record = Record::signed(DOMAIN, kind, crate::clock::now_ms(), payload, key)?;
    Ok(client.append(&record)?)
}

/// One holder: an identity and a credential, kept on "their device".
pub(crate) struct Holder {
    pub(crate) identity: Identity,
    pub(crate) attributes: [u64; 3],
}

pub(crate) fn identity(
    runtime: &tokio::runtime::Runtime,
    data: &Path,
    holders: usize,
) -> Result<()> {
    println!(
        "== identity: a civil registry issues credentials; a benefits office lets eligible citizens claim once, privately"
    );
    let started = Instant::now();
    let (issuer, office) = prepare(data)?;
    let running = start_service(runtime, data)?;
    let client = Client::new(&running.base);
    let run = crate::clock::now_ms() % 1_000_000;
    let registry_id = format!("national-id-{run}");
    let scope_id = format!("heating-allowance-{run}");

    // The registry (its circuit keys are made and logged on creation).
    let spec = RegistrySpec {
        id: registry_id.clone(),
        title: "National identity credential".into(),
        attributes: vec!["birth_date".into(), "region".into(), "expiry".into()],
        depth: 20,
        window_changes: 8,
        window_secs: 0,
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(
        "creating the registry and its circuit keys (Groth16 setup, development keys)",
    );
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    post(&client, &issuer, REGISTRY_CREATE, spec.encode())?;
    spinner.finish_and_clear();

    // Holders make their secrets on their own devices; the issuer sees commitments only.
    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
    let people: Vec<Holder> = (0..holders)
        .map(|i| Holder {
            identity: Identity::random(&mut rng),
            attributes: [
                19_400_101 + (i as u64 * 7_919) % 700_000, // birth dates 1940-2010
                1 + (i as u64 % 5),                        // regions 1..5
                if i % 10 == 9 { 20_250_101 } else { 20_310_101 }, // some expired
            ],
        })
        .collect();
    let issuing = bar(holders as u64, "issuing credentials");
    for holder in &people {
        let issue = CredentialIssue {
            registry: registry_id.clone(),
            commitment: fr_to_bytes(&holder.identity.commitment()),
            attributes: holder.attributes.to_vec(),
        };
        post(&client, &issuer, CREDENTIAL_ISSUE, issue.encode())?;
        issuing.inc(1);
    }
    issuing.finish();

    // The benefits office's rule: born before 2008, region 1-3, not expired in 2027.
    let predicates = vec![
        AttributePredicate::at_most(20_080_101),
        AttributePredicate::one_of(&[1, 2, 3])?,
        AttributePredicate::at_least(20_270_101),
    ];
    let scope = ScopeSpec {
        id: scope_id.clone(),
        title: "Heating allowance 2027".into(),
        registry: registry_id.clone(),
        predicates: predicates.clone(),
    };
    post(&client, &office, SCOPE_CREATE, scope.encode())?;

    let eligible: Vec<usize> = (0..holders)
        .filter(|&i| {
            predicates
                .iter()
                .zip(people[i].attributes)
                .all(|(p, a)| p.holds(a))
        })
        .collect();
    let (early, rest) = eligible.split_at(eligible.len().min(8));
    let claimers: Vec<usize> = rest.iter().copied().take(40).collect();
    let revoked: Vec<usize> = rest.iter().copied().skip(40).take(10).collect();

    // A few holders prove now but submit only after the registry changed.
    let keys = KeyCache::new(data.join("keys"));
    let early_claims = prove_claims(
        &client,
        &keys,
        &registry_id,
        &scope_id,
        &predicates,
        &people,
        early,
        "early",
    )?;

    // The issuer revokes some credentials (more changes than the root window).
    let revoking = bar(revoked.len() as u64, "revoking credentials");
    for &i in &revoked {
        let revoke = CredentialRevoke {
            registry: registry_id.clone(),
            leaf_index: i as u64,
        };
        post(&client, &issuer, CREDENTIAL_REVOKE, revoke.encode())?;
        revoking.inc(1);
    }
    revoking.finish();

    let claims = prove_claims(
        &client,
        &keys,
        &registry_id,
        &scope_id,
        &predicates,
        &people,
        &claimers,
        "now",
    )?;
    let claiming = bar(claims.len() as u64, "submitting claims");
    let mut receipts = Vec::new();
    for (body, _) in &claims {
        let receipt: Receipt =
            serde_json::from_value(client.post_json("/v1/identity/claims", body)?)?;
        receipts.push(receipt);
        claiming.inc(1);
    }
    claiming.finish();

    // Refusals: second claims by the same people, proofs against stale roots,
    // revoked holders, and a forged message.
    let refused = |what: &str, body: &ClaimBody, code: &str| -> Result<()> {
        match client.post_json("/v1/identity/claims", body) {
            Ok(_) => bail!("{what} was accepted"),
            Err(e) if e.to_string().contains(code) => Ok(()),
            Err(e) => bail!("{what} refused for the wrong reason: {e}"),
        }
    };
    for (body, _) in claims.iter().take(5) {
        refused("a double claim", body, "already_used")?;
    }
    for (body, _) in &early_claims {
        refused("a proof against a stale root", body, "stale_root")?;
    }
    let mut forged = claims[0].0.clone();
    forged.message = BASE64.encode(b"another application");
    refused(
        "a proof replayed for another request",
        &forged,
        "invalid_proof",
    )?;
    let revoked_can_prove = revoked
        .iter()
        .filter(|&&i| {
            prove_claims(
                &client,
                &keys,
                &registry_id,
                &scope_id,
                &predicates,
                &people,
                &[i],
                "quiet",
            )
            .is_ok()
        })
        .count();
    if revoked_can_prove > 0 {
        bail!("{revoked_can_prove} revoked holders could still prove");
    }

    // Verify everything offline: receipts against the log key, proofs in one batch.
    let info = client.get_json("/v1/log")?;
    let log_key = info["verifier_key"].as_str().context("log key")?.to_owned();
    for receipt in &receipts {
        receipt.verify(&log_key)?;
    }
    let registry: RegistryView = serde_json::from_value(
        client.get_json(&format!("/v1/identity/registries/{registry_id}"))?,
    )?;
    let shape = EligibilityShape::new(20, 3)?;
    let key_view = client.get_json(&format!("/v1/identity/keys/{}", shape.id()))?;
    let vk = groth16::decode_vk(&BASE64.decode(key_view["vk"].as_str().context("vk")?)?)?;
    let prepared = groth16::PreparedKey::new(vk)?;
    let items: Vec<_> = claims.iter().map(|(_, item)| item.clone()).collect();
    let t = Instant::now();
    verify_batch(&prepared, &items)?;
    let batch_ms = t.elapsed().as_secs_f64() * 1000.0;

    println!(
        "   {holders} credentials issued, {} revoked; registry size {}, version {}",
        revoked.len(),
        registry.size,
        registry.version
    );
    println!(
        "   {} claims accepted and logged; every receipt verifies offline against the log key",
        receipts.len()
    );
    println!(
        "   {} claim proofs batch-verified offline in {batch_ms:.1} ms ({:.2} ms each)",
        items.len(),
        batch_ms / items.len().max(1) as f64
    );
    println!(
        "   refused as they should be: 5 double claims, {} stale-root proofs, 1 replayed proof, {} revoked holders could not prove",
        early_claims.len(),
        revoked.len()
    );
    println!(
        "   log size {}, done in {:.1} s",
        info["size"],
        started.elapsed().as_secs_f64()
    );

    let _ = running.shutdown.send(());
    runtime.block_on(running.task)?;
    Ok(())
}

/// A claim ready to submit, with its public inputs and proof for offline
/// batch verification.
pub(crate) type ProvedClaim = (
    ClaimBody,
    (Vec<Fr>, zkaudit_prover::Proof<zkaudit_prover::Bn254>),
);

/// Holders `who` each prove eligibility locally (in parallel), against the
/// registry as the service publishes it. Returns the claims and, for
/// offline batch verification, their public inputs and proofs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prove_claims(
    client: &Client,
    keys: &KeyCache,
    registry_id: &str,
    scope_id: &str,
    predicates: &[AttributePredicate],
    people: &[Holder],
    who: &[usize],
    label: &str,
) -> Result<Vec<ProvedClaim>> {
    let registry: RegistryView = serde_json::from_value(
        client.get_json(&format!("/v1/identity/registries/{registry_id}"))?,
    )?;
    let page: MembersPage = serde_json::from_value(
        client.get_json(&format!("/v1/identity/registries/{registry_id}/members"))?,
    )?;
    let leaves = page
        .leaves
        .iter()
        .map(|l| zkaudit_circuits::fr_from_decimal(l).map_err(|_| anyhow::anyhow!("bad leaf")))
        .collect::<Result<Vec<_>>>()?;
    let tree = LeanImt::from_leaves(&leaves);
    let root = tree.root().context("empty registry")?;
    if Some(root.to_string()) != registry.root {
        bail!("members do not hash to the logged root");
    }
    let shape = EligibilityShape::new(registry.depth as usize, registry.attributes.len())?;
    let loaded = keys
        .load(&shape.id())?
        .context("the service made no keys for this shape")?;
    let scope = scope_field(scope_id);
    let mut statements = Vec::new();
    for &i in who {
        let holder = &people[i];
        let leaf = credential_leaf(holder.identity.commitment(), &holder.attributes)?;
        let index = leaves
            .iter()
            .position(|l| *l == leaf)
            .context("credential not in the registry")?;
        let message = format!("application {label}-{i}");
        let public = EligibilityPublic {
            shape,
            root,
            nullifier: holder.identity.nullifier(scope),
            scope,
            message: claim_message_field(scope_id, message.as_bytes()),
            predicates: predicates.to_vec(),
        };
        let witness = EligibilityWitness {
            secret: holder.identity.secret_scalar(),
            attributes: holder.attributes.to_vec(),
            path: tree.generate_proof(index)?.to_circuit_path(shape.depth)?,
        };
        zkaudit_circuits::eligibility::check(&public, &witness)?;
        statements.push((
            message,
            EligibilityCircuit {
                public,
                witness: Some(witness),
            },
        ));
    }
    let progress = (label != "quiet").then(|| {
        bar(
            statements.len() as u64,
            &format!("proving claims ({label})"),
        )
    });
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let circuits: Vec<_> = statements.iter().map(|(_, c)| c.clone()).collect();
    let proofs = prove_batch_with_progress(&loaded.pk, circuits, seed, |_| {
        if let Some(p) = &progress {
            p.inc(1);
        }
    })?;
    if let Some(p) = progress {
        p.finish();
    }
    Ok(statements
        .into_iter()
        .zip(proofs)
        .map(|((message, circuit), proof)| {
            let body = ClaimBody {
                scope: scope_id.to_owned(),
                root: circuit.public.root.to_string(),
                nullifier: circuit.public.nullifier.to_string(),
                message: BASE64.encode(message.as_bytes()),
                proof: BASE64.encode(groth16::encode_proof(&proof)),
            };
            (body, (public_inputs(&circuit.public), proof))
        })
        .collect())
}
