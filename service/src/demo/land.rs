//! `zkaudit demo land`: a land registry registers parcels, owners sell them
//! (owner, buyer and registrar all sign), banks take and release liens, the
//! service refuses a sale under lien and a double sale, an owner proves
//! privately "I own a parcel in district D of at least A m²", and every
//! parcel history is verified offline at the end.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use zkaudit_circuits::eligibility::{
    EligibilityCircuit, EligibilityPublic, EligibilityShape, EligibilityWitness, credential_leaf,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{
    DOMAIN as IDENTITY, REGISTRY_CREATE, RegistrySpec, SCOPE_CREATE, ScopeSpec,
    claim_message_field, scope_field,
};
use zkaudit_ledger::land::{Action, DOMAIN, PARCEL_REGISTER, ParcelRegistration};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_prover::{KeyCache, prove_batch_with_progress};
use zkaudit_verifier::Receipt;
use zkaudit_verifier::groth16;
use zkaudit_verifier::land::HistoryBundle;

use crate::client::Client;
use crate::client::identity::{RegistryTree, submit_claim};
use crate::client::land::{event_record, next_terms, show};
use crate::demo::ceremony;
use crate::demo::scene::{Scene, bar, demo_authority, expect_refusal};
use crate::domains::ceremony::Shape;
use crate::domains::identity::ClaimBody;
use crate::domains::land::ParcelView;

const DEPTH: u8 = 10;

/// A citizen: a signing key for deeds and an identity for private proofs.
struct Person {
    key: NoteSigningKey,
    identity: Identity,
}

impl Person {
    /// A transfer of a parcel to this person, at `price` if declared.
    fn as_buyer(&self, price: Option<u64>) -> Action {
        Action::Transfer {
            new_owner: self.key.public_key().to_bytes(),
            new_commitment: fr_to_bytes(&self.identity.commitment()),
            price,
        }
    }
}

fn prepare(data: &Path) -> Result<NoteSigningKey> {
    demo_authority(data, ceremony::OFFICE, &ceremony::OFFICE_KINDS)?;
    demo_authority(
        data,
        "demo-land-registry",
        &[
            "land/*",
            "identity/registry.create",
            "identity/credential.issue",
            "identity/credential.revoke",
            "identity/scope.create",
        ],
    )
}

/// Signs terms by both parties and submits them as the registrar's record.
fn submit(
    client: &Client,
    registrar: &NoteSigningKey,
    view: &ParcelView,
    action: Action,
    a: &NoteSigningKey,
    b: &NoteSigningKey,
) -> Result<Receipt> {
    let terms = next_terms(view, action)?;
    let signatures = [terms.sign(a), terms.sign(b)];
    Ok(client.append(&event_record(
        client,
        terms,
        signatures,
        view.owner_leaf,
        registrar,
    )?)?)
}

/// What the scenario shows, printed as it starts.
const BANNER: &str = "== land: a registry logs parcels, sales signed by seller, buyer and registrar, liens; histories verify offline";

/// Runs the land scenario with `parcels` parcels.
pub fn land(runtime: &tokio::runtime::Runtime, data: &Path, parcels: usize) -> Result<()> {
    let registrar = prepare(data)?;
    let scene = Scene::open(runtime, data, BANNER)?;
    let client = &scene.client;
    let run = scene.run;
    let registry_id = format!("titles-{run}");

    // The ownership claims' Groth16 key, from a short ceremony (first run
    // only; an earlier scenario's phase-1 file is reused).
    let shape = EligibilityShape::new(DEPTH as usize, 2)?;
    let named_key = ceremony::ceremony_key(data, client, Shape::Eligibility(shape), run)?;

    let spinner = ProgressBar::new_spinner();
    spinner.set_message(if named_key.is_some() {
        "creating the title registry"
    } else {
        "creating the title registry and its circuit keys (development keys)"
    });
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let spec = RegistrySpec {
        id: registry_id.clone(),
        title: "Land titles".into(),
        attributes: vec!["district".into(), "area_m2".into()],
        depth: DEPTH,
        window_changes: 1024,
        window_secs: 3600,
    };
    client.append_signed(&registrar, IDENTITY, REGISTRY_CREATE, spec.encode())?;
    spinner.finish_and_clear();

    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
    let people: Vec<Person> = (0..parcels + parcels / 2)
        .map(|i| {
            Ok(Person {
                key: NoteSigningKey::generate(&format!("citizen-{i}"), &mut rng)?,
                identity: Identity::random(&mut rng),
            })
        })
        .collect::<Result<_>>()?;
    let banks: Vec<NoteSigningKey> = (0..3)
        .map(|i| NoteSigningKey::generate(&format!("bank-{i}"), &mut rng))
        .collect::<Result<_, _>>()?;
    let ids: Vec<String> = (0..parcels).map(|i| format!("P{run}-{i}")).collect();
    let mut owner: Vec<usize> = (0..parcels).collect();

    let registering = bar(parcels as u64, "registering parcels");
    for (i, id) in ids.iter().enumerate() {
        let registration = ParcelRegistration {
            parcel: id.clone(),
            district: 1 + (i as u64 % 9),
            area_m2: 200 + (i as u64 * 37) % 1800,
            documents: vec![zkaudit_ledger::record::tagged_digest(
                "deed",
                DOMAIN,
                PARCEL_REGISTER,
                id.as_bytes(),
            )],
            title_registry: registry_id.clone(),
            owner: people[i].key.public_key().to_bytes(),
            owner_commitment: fr_to_bytes(&people[i].identity.commitment()),
        };
        client.append_signed(&registrar, DOMAIN, PARCEL_REGISTER, registration.encode())?;
        registering.inc(1);
    }
    registering.finish();

    // Liens on a tenth of the parcels; half of them released later.
    let liened: Vec<usize> = (0..parcels).step_by(10).collect();
    // A lien and its release are signed by the owner and the parcel's bank.
    let bank_of = |p: usize| &banks[p % banks.len()];
    let with_bank = |p: usize, view: &ParcelView, action: Action| {
        submit(
            client,
            &registrar,
            view,
            action,
            &people[owner[p]].key,
            bank_of(p),
        )
    };
    let liening = bar(liened.len() as u64, "registering liens");
    for &p in &liened {
        let view = show(client, &ids[p])?;
        let action = Action::Lien {
            lienholder: bank_of(p).public_key().to_bytes(),
            amount: 50_000 + p as u64 * 100,
        };
        with_bank(p, &view, action)?;
        liening.inc(1);
    }
    liening.finish();
    let released: Vec<usize> = liened.iter().copied().step_by(2).collect();
    let releasing = bar(released.len() as u64, "releasing liens");
    for &p in &released {
        let view = show(client, &ids[p])?;
        let lien = view.liens.first().context("lien missing")?;
        let action = Action::Release {
            lien: hex::decode(&lien.id)?
                .try_into()
                .map_err(|_| anyhow::anyhow!("lien id"))?,
        };
        with_bank(p, &view, action)?;
        releasing.inc(1);
    }
    releasing.finish();
    let still_liened: Vec<usize> = liened
        .iter()
        .copied()
        .filter(|p| !released.contains(p))
        .collect();

    // Sales: parcels change hands, some several times.
    let sales = parcels;
    let selling = bar(sales as u64, "transfers (3 signatures each)");
    let mut transfers = 0usize;
    let mut last_sale = None;
    for _ in 0..sales {
        let p = rng.gen_range(0..parcels);
        if still_liened.contains(&p) {
            continue;
        }
        let buyer = loop {
            let b = rng.gen_range(0..people.len());
            if b != owner[p] {
                break b;
            }
        };
        let view = show(client, &ids[p])?;
        let action = people[buyer].as_buyer(Some(rng.gen_range(50_000..900_000)));
        submit(
            client,
            &registrar,
            &view,
            action,
            &people[owner[p]].key,
            &people[buyer].key,
        )?;
        last_sale = Some((p, view, owner[p], buyer));
        owner[p] = buyer;
        transfers += 1;
        selling.inc(1);
    }
    selling.finish();

    // Refusals: a sale under lien, the same sale twice, a buyer's forged acceptance.
    let p = *still_liened.first().context("no liened parcel")?;
    let view = show(client, &ids[p])?;
    let outsider = &people[(owner[p] + 1) % people.len()];
    let action = outsider.as_buyer(None);
    expect_refusal(
        submit(
            client,
            &registrar,
            &view,
            action,
            &people[owner[p]].key,
            &outsider.key,
        ),
        "a sale under lien",
        "under_lien",
    )?;
    let (p, stale_view, seller, first_buyer) = last_sale.context("no sale happened")?;
    let other = (first_buyer + 1) % people.len();
    let double = people[other].as_buyer(Some(1));
    expect_refusal(
        submit(
            client,
            &registrar,
            &stale_view,
            double,
            &people[seller].key,
            &people[other].key,
        ),
        "a double sale",
        "stale_version",
    )?;
    let view = show(client, &ids[p])?;
    let forged = people[other].as_buyer(Some(1));
    expect_refusal(
        submit(
            client,
            &registrar,
            &view,
            forged,
            &people[owner[p]].key,
            &people[owner[p]].key,
        ),
        "a forged buyer acceptance",
        "bad_party_signature",
    )?;

    // A private ownership proof: "I own a parcel in district 3 of at least 500 m²".
    let proof_line = private_ownership_proof(
        client,
        &registrar,
        data,
        &registry_id,
        &ids,
        &owner,
        &people,
    )?;

    // Every history, verified offline against the log key and the registrar.
    let log_key = scene.log_key()?;
    let verifying = bar(parcels as u64, "verifying histories offline");
    let mut events = 0usize;
    let mut longest = 0usize;
    for (p, id) in ids.iter().enumerate() {
        let bundle: HistoryBundle =
            serde_json::from_value(client.get_json(&format!("/v1/land/parcels/{id}/history"))?)?;
        let verified = bundle.verify(&log_key, &registrar.public_key())?;
        if verified.parcel.owner != people[owner[p]].key.public_key() {
            bail!("parcel {id}: the verified owner is not who the demo sold it to");
        }
        events += verified.events.len();
        longest = longest.max(verified.events.len());
        verifying.inc(1);
    }
    verifying.finish();

    println!(
        "   {parcels} parcels registered, {transfers} transfers, {} liens ({} released)",
        liened.len(),
        released.len()
    );
    println!(
        "   refused as they should be: a sale under lien, a double sale of one title version, a forged buyer acceptance"
    );
    println!("   {proof_line}");
    println!(
        "   {parcels} histories ({events} events, longest {longest}) verified offline: inclusion proofs, unbroken signed chains of owners"
    );
    scene.close(runtime)
}

/// One current owner proves with the eligibility circuit, against the
/// title registry, that they own a parcel in a district of at least 500 m²;
/// the claim is logged and its receipt verified.
fn private_ownership_proof(
    client: &Client,
    registrar: &NoteSigningKey,
    data: &Path,
    registry_id: &str,
    ids: &[String],
    owner: &[usize],
    people: &[Person],
) -> Result<String> {
    let p = (0..ids.len())
        .find(|&p| 1 + (p as u64 % 9) == 3 && 200 + (p as u64 * 37) % 1800 >= 500)
        .context("no parcel fits the demo's predicate")?;
    let view = show(client, &ids[p])?;
    let scope_id = format!("landowner-d3-500-{registry_id}");
    let predicates = vec![
        AttributePredicate::one_of(&[3])?,
        AttributePredicate::at_least(500),
    ];
    let shape = EligibilityShape::new(DEPTH as usize, 2)?;
    let scope = ScopeSpec {
        id: scope_id.clone(),
        title: "Landowners in district 3 with at least 500 m²".into(),
        registry: registry_id.to_owned(),
        predicates: predicates.clone(),
        // Named when a ceremony made the key.
        circuit_key: ceremony::logged_key(client, &shape.id())?
            .and_then(|(digest, development)| (!development).then_some(digest)),
    };
    client.append_signed(registrar, IDENTITY, SCOPE_CREATE, scope.encode())?;
    let registry = RegistryTree::fetch(client, registry_id)?;
    let (tree, root) = (&registry.tree, registry.root);
    let holder = &people[owner[p]];
    let attributes = [view.district, view.area_m2];
    let leaf = credential_leaf(holder.identity.commitment(), &attributes)?;
    let index = registry.index_of(&leaf)?;
    let keys = KeyCache::new(data.join("keys"));
    let loaded = keys
        .load(&shape.id())?
        .context("the service made no keys for the title registry")?;
    let scope_value = scope_field(&scope_id);
    let message = "mortgage application 1";
    let public = EligibilityPublic {
        shape,
        root,
        nullifier: holder.identity.nullifier(scope_value),
        scope: scope_value,
        message: claim_message_field(&scope_id, message.as_bytes()),
        predicates,
    };
    let witness = EligibilityWitness {
        secret: holder.identity.secret_scalar(),
        attributes: attributes.to_vec(),
        path: tree.generate_proof(index)?.to_circuit_path(shape.depth)?,
    };
    zkaudit_circuits::eligibility::check(&public, &witness)?;
    let circuit = EligibilityCircuit {
        public,
        witness: Some(witness),
    };
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let t = Instant::now();
    let proof = prove_batch_with_progress(&loaded.pk, vec![circuit.clone()], seed, |_| {})?
        .pop()
        .context("no proof")?;
    let prove_ms = t.elapsed().as_secs_f64() * 1000.0;
    let body = ClaimBody {
        scope: scope_id,
        root: root.to_string(),
        nullifier: circuit.public.nullifier.to_string(),
        message: BASE64.encode(message.as_bytes()),
        proof: BASE64.encode(groth16::encode_proof(&proof)),
    };
    let receipt = submit_claim(client, &body)?;
    let info = client.get_json("/v1/log")?;
    receipt.verify(info["verifier_key"].as_str().context("log key")?)?;
    Ok(format!(
        "a private ownership proof (district 3, >= 500 m², parcel not revealed) proved in {prove_ms:.0} ms, accepted and logged at {}",
        receipt.index
    ))
}
