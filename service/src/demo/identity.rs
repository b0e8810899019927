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
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{
    CREDENTIAL_ISSUE, CREDENTIAL_REVOKE, CredentialIssue, CredentialRevoke, DOMAIN,
    REGISTRY_CREATE, RegistrySpec, SCOPE_CREATE, ScopeSpec, claim_message_field, scope_field,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_prover::{KeyCache, prove_batch_with_progress};
use zkaudit_verifier::groth16::{self, verify_batch};

use crate::client::Client;
use crate::client::identity::{RegistryTree, submit_claim};
use crate::demo::ceremony;
use crate::demo::scene::{ISSUER_KINDS, Scene, bar, demo_authority, expect_refusal};
use crate::domains::ceremony::Shape;
use crate::domains::identity::ClaimBody;

/// The demo's authorities: the development config plus an issuer and a
/// benefits office, with their keys beside the config.
pub(crate) fn prepare(data: &Path) -> Result<(NoteSigningKey, NoteSigningKey)> {
    demo_authority(data, ceremony::OFFICE, &ceremony::OFFICE_KINDS)?;
    Ok((
        demo_authority(data, "demo-civil-registry", &ISSUER_KINDS)?,
        demo_authority(data, "demo-benefits-office", &["identity/scope.create"])?,
    ))
}

/// What the scenario shows, printed as it starts.
const BANNER: &str = "== identity: a civil registry issues credentials; a benefits office lets eligible citizens claim once, privately";

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
    let (issuer, office) = prepare(data)?;
    let scene = Scene::open(runtime, data, BANNER)?;
    let client = &scene.client;
    let run = scene.run;
    let registry_id = format!("national-id-{run}");
    let scope_id = format!("heating-allowance-{run}");

    // The claims' Groth16 key, from a short ceremony (first run only).
    let shape = EligibilityShape::new(20, 3)?;
    let named_key = ceremony::ceremony_key(data, client, Shape::Eligibility(shape), run)?;

    // The registry (the shape's key, if no ceremony made it, is made and
    // logged on creation).
    let spec = RegistrySpec {
        id: registry_id.clone(),
        title: "National identity credential".into(),
        attributes: vec!["birth_date".into(), "region".into(), "expiry".into()],
        depth: 20,
        window_changes: 8,
        window_secs: 0,
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(if named_key.is_some() {
        "creating the registry"
    } else {
        "creating the registry and its circuit keys (Groth16 setup, development keys)"
    });
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    client.append_signed(&issuer, DOMAIN, REGISTRY_CREATE, spec.encode())?;
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
        client.append_signed(&issuer, DOMAIN, CREDENTIAL_ISSUE, issue.encode())?;
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
        // The scope names the ceremony's key: claims under any other fail.
        circuit_key: named_key,
    };
    client.append_signed(&office, DOMAIN, SCOPE_CREATE, scope.encode())?;

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
    let desk = ClaimDesk {
        client,
        keys: KeyCache::new(data.join("keys")),
        registry_id: &registry_id,
        scope_id: &scope_id,
        predicates: &predicates,
    };
    let early_claims = desk.prove(&people, early, "early")?;

    // The issuer revokes some credentials (more changes than the root window).
    let revoking = bar(revoked.len() as u64, "revoking credentials");
    for &i in &revoked {
        let revoke = CredentialRevoke {
            registry: registry_id.clone(),
            leaf_index: i as u64,
        };
        client.append_signed(&issuer, DOMAIN, CREDENTIAL_REVOKE, revoke.encode())?;
        revoking.inc(1);
    }
    revoking.finish();

    let claims = desk.prove(&people, &claimers, "now")?;
    let claiming = bar(claims.len() as u64, "submitting claims");
    let mut receipts = Vec::new();
    for (body, _) in &claims {
        let receipt = submit_claim(client, body)?;
        receipts.push(receipt);
        claiming.inc(1);
    }
    claiming.finish();

    // Refusals: second claims by the same people, proofs against stale roots,
    // revoked holders, and a forged message.
    let refused = |what: &str, body: &ClaimBody, code: &str| -> Result<()> {
        expect_refusal(submit_claim(client, body), what, code).map(drop)
    };
    // A second application by five claimants: a new proof, the same nullifier.
    let second = desk.prove(&people, &claimers[..claimers.len().min(5)], "again")?;
    for (body, _) in &second {
        refused("a double claim", body, "already_used")?;
    }
    // The same claim sent again is no second claim: it gets its index back.
    let again = submit_claim(client, &claims[0].0)?;
    if !again.duplicate || again.index != receipts[0].index {
        bail!("a resubmitted claim was not answered with its index");
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
        .filter(|&&i| desk.prove(&people, &[i], "quiet").is_ok())
        .count();
    if revoked_can_prove > 0 {
        bail!("{revoked_can_prove} revoked holders could still prove");
    }

    // Verify everything offline: receipts against the log key, proofs in one batch.
    let log_key = scene.log_key()?;
    for receipt in &receipts {
        receipt.verify(&log_key)?;
    }
    let registry = crate::client::identity::registry(client, &registry_id)?;
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
        "   refused as they should be: {} double claims, {} stale-root proofs, 1 replayed proof, {} revoked holders could not prove",
        second.len(),
        early_claims.len(),
        revoked.len()
    );
    scene.close(runtime)
}

/// A claim ready to submit, with its public inputs and proof for offline
/// batch verification.
pub(crate) type ProvedClaim = (
    ClaimBody,
    (Vec<Fr>, zkaudit_prover::Proof<zkaudit_prover::Bn254>),
);

/// Where holders claim: a scope with its predicates over a registry, the
/// service that publishes them, and the proving keys.
pub(crate) struct ClaimDesk<'a> {
    pub(crate) client: &'a Client,
    pub(crate) keys: KeyCache,
    pub(crate) registry_id: &'a str,
    pub(crate) scope_id: &'a str,
    pub(crate) predicates: &'a [AttributePredicate],
}

impl ClaimDesk<'_> {
    /// Holders `who` each prove eligibility locally (in parallel), against
    /// the registry as the service publishes it. Returns the claims and,
    /// for offline batch verification, their public inputs and proofs.
    pub(crate) fn prove(
        &self,
        people: &[Holder],
        who: &[usize],
        label: &str,
    ) -> Result<Vec<ProvedClaim>> {
        let (client, keys, registry_id, scope_id, predicates) = (
            self.client,
            &self.keys,
            self.registry_id,
            self.scope_id,
            self.predicates,
        );
        let registry = RegistryTree::fetch(client, registry_id)?;
        let (tree, root) = (&registry.tree, registry.root);
        let shape =
            EligibilityShape::new(registry.view.depth as usize, registry.view.attributes.len())?;
        let loaded = keys
            .load(&shape.id())?
            .context("the service made no keys for this shape")?;
        let scope = scope_field(scope_id);
        let mut statements = Vec::new();
        for &i in who {
            let holder = &people[i];
            let leaf = credential_leaf(holder.identity.commitment(), &holder.attributes)?;
            let index = registry.index_of(&leaf)?;
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
}
