//! `zkaudit demo health`: hospitals, patients, a vaccine supply chain and
//! vaccination credentials, end to end against an in-process service, with
//! every check re-done offline at the end.

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use rand::SeedableRng;
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, CONSENT_GRANT, CONSENT_REVOKE, ConsentGrant, ConsentRevoke, DOMAIN,
    HealthError, LOT_ADMINISTER, LOT_REGISTER, LOT_TRANSFER, LotAdminister, LotRegister,
    LotTransfer, RECORD_COMMIT, RecordCommit, ciphertext_digest, commitment_bytes, patient_hex,
};
use zkaudit_ledger::identity::{self, CredentialIssue, RegistrySpec, ScopeSpec};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_prover::KeyCache;
use zkaudit_verifier::Receipt;
use zkaudit_verifier::health::{HealthCheckError, verify_access_log, verify_trace};

use crate::client::Client;
use crate::client::identity::submit_claim;
use crate::clock::now_ms;
use crate::demo::identity::{ClaimDesk, Holder, prepare};
use crate::demo::scene::{ISSUER_AND_SCOPE_KINDS, Scene, bar, demo_authority, expect_refusal};
use crate::domains::health::{AccessLogView, TraceView};

const DAY: u64 = 86_400_000;

/// The health authorities the demo configures: a hospital, a manufacturer
/// and a public-health authority issuing vaccination credentials.
struct Authorities {
    hospital: NoteSigningKey,
    manufacturer: NoteSigningKey,
    public_health: NoteSigningKey,
}

fn prepare_health(data: &Path) -> Result<Authorities> {
    prepare(data)?;
    Ok(Authorities {
        hospital: demo_authority(
            data,
            "demo-hospital",
            &["health/record.commit", "health/access"],
        )?,
        manufacturer: demo_authority(data, "demo-vaccine-maker", &["health/lot.register"])?,
        public_health: demo_authority(data, "demo-public-health", &ISSUER_AND_SCOPE_KINDS)?,
    })
}

fn post(
    client: &Client,
    key: &impl RecordSigner,
    kind: &str,
    at: u64,
    payload: Vec<u8>,
) -> Result<Receipt> {
    let record = Record::signed(client.origin()?, DOMAIN, kind, at, payload, key)?;
    Ok(client.append(&record)?)
}

fn transfer(
    client: &Client,
    from: &NoteSigningKey,
    to: &NoteSigningKey,
    lot: &str,
    quantity: u64,
) -> Result<Receipt> {
    let at = now_ms();
    let t = LotTransfer::countersigned(lot, quantity, &from.record_key(), at, to);
    post(client, from, LOT_TRANSFER, at, t.encode())
}

fn key(name: &str) -> Result<NoteSigningKey> {
    Ok(NoteSigningKey::generate(name, &mut rand::rngs::OsRng)?)
}

/// What the scenario shows, printed as it starts.
const BANNER: &str = "== health: record commitments, consent and access audit, a vaccine supply chain, vaccination proofs";

/// Runs the health scenario.
pub fn run(runtime: &tokio::runtime::Runtime, data: &Path) -> Result<()> {
    let auth = prepare_health(data)?;
    let scene = Scene::open(runtime, data, BANNER)?;
    let client = &scene.client;
    let run = scene.run;
    let log_key = scene.log_key()?;

    // Records, consents, accesses.
    let patients: Vec<NoteSigningKey> = (0..20)
        .map(|i| key(&format!("patient-{i}")))
        .collect::<Result<_>>()?;
    let records = bar(patients.len() as u64, "committing medical records");
    for (i, p) in patients.iter().enumerate() {
        let ciphertext: Vec<u8> = (0..512).map(|b| (b as u8) ^ (i as u8)).collect();
        let digest = ciphertext_digest(&ciphertext);
        let commit = RecordCommit {
            patient: p.record_key(),
            record: format!("chart-{run}-{i}"),
            version: 1,
            ciphertext_sha3: digest,
            commitment: commitment_bytes(&digest, zkaudit_circuits::Fr::from(i as u64 + 1)),
        };
        post(
            client,
            &auth.hospital,
            RECORD_COMMIT,
            now_ms(),
            commit.encode(),
        )?;
        records.inc(1);
    }
    records.finish();
    let consents = bar(patients.len() as u64, "patients granting consent");
    for p in &patients {
        let now = now_ms();
        let grant = ConsentGrant {
            consent: "gp".into(),
            grantee: "dr-gp".into(),
            purpose: "treatment".into(),
            record: None,
            valid_until_ms: now + 30 * DAY,
        };
        post(client, p, CONSENT_GRANT, now, grant.encode())?;
        consents.inc(1);
    }
    consents.finish();
    // Patient 1 revokes; patient 0 is read by someone with no consent.
    post(
        client,
        &patients[1],
        CONSENT_REVOKE,
        now_ms(),
        ConsentRevoke {
            consent: "gp".into(),
        }
        .encode(),
    )?;
    let accesses = bar(patients.len() as u64 + 1, "logging record accesses");
    let access = |i: usize, who: &str| -> Result<Receipt> {
        let now = now_ms();
        let a = AccessEvent {
            patient: patients[i].record_key(),
            record: format!("chart-{run}-{i}"),
            version: 1,
            accessor: who.into(),
            purpose: "treatment".into(),
            at_ms: now,
        };
        post(client, &auth.hospital, ACCESS, now, a.encode())
    };
    for i in 0..patients.len() {
        access(i, "dr-gp")?;
        accesses.inc(1);
    }
    access(0, "dr-curious")?;
    accesses.inc(1);
    accesses.finish();
    let ghost = AccessEvent {
        patient: patients[0].record_key(),
        record: "no-such-chart".into(),
        version: 1,
        accessor: "dr-gp".into(),
        purpose: "treatment".into(),
        at_ms: now_ms(),
    };
    expect_refusal(
        post(client, &auth.hospital, ACCESS, now_ms(), ghost.encode()),
        "an access to a record never committed",
        "unknown_record",
    )?;
    let mut flagged_total = 0;
    for p in &patients[..2] {
        let view: AccessLogView = serde_json::from_value(client.get_json(&format!(
            "/v1/health/patients/{}/access-log",
            patient_hex(&p.record_key())
        ))?)?;
        let (_, audit) = verify_access_log(&view.extract, &log_key, &p.record_key())?;
        let flagged: Vec<_> = audit
            .iter()
            .filter_map(|a| match &a.verdict {
                zkaudit_ledger::health::AccessVerdict::Flagged { reason } => {
                    Some(format!("{} ({reason})", a.access.accessor))
                }
                _ => None,
            })
            .collect();
        if flagged.len() != 1 {
            bail!("expected exactly one flagged access, got {flagged:?}");
        }
        println!(
            "   access log of patient {}…: flagged {}",
            &patient_hex(&p.record_key())[..12],
            flagged[0]
        );
        flagged_total += flagged.len();
    }

    // The supply chain.
    let distributor = key("distributor")?;
    let sites: Vec<NoteSigningKey> = (0..3)
        .map(|i| key(&format!("site-{i}")))
        .collect::<Result<_>>()?;
    let lot = format!("LOT-{run}");
    let register = LotRegister {
        lot: lot.clone(),
        product: "VAX-A".into(),
        quantity: 10_000,
        expiry_ms: now_ms() + 180 * DAY,
    };
    post(
        client,
        &auth.manufacturer,
        LOT_REGISTER,
        now_ms(),
        register.encode(),
    )?;
    let shipping = bar(4, "custody transfers");
    transfer(client, &auth.manufacturer, &distributor, &lot, 6_000)?;
    shipping.inc(1);
    for site in &sites {
        transfer(client, &distributor, site, &lot, 1_500)?;
        shipping.inc(1);
    }
    shipping.finish();
    let doses = bar(150, "doses administered");
    for round in 0..50 {
        for site in &sites {
            let a = LotAdminister {
                lot: lot.clone(),
                doses: 10 + (round % 3) as u64,
            };
            post(client, site, LOT_ADMINISTER, now_ms(), a.encode())?;
            doses.inc(1);
        }
    }
    doses.finish();

    // Attacks refused up front.
    let fake = format!("FAKE-{run}");
    let counterfeit = expect_refusal(
        transfer(client, &distributor, &sites[0], &fake, 100),
        "a transfer of a counterfeit lot",
        "unknown_lot",
    )?;
    let diversion = expect_refusal(
        transfer(client, &distributor, &sites[0], &lot, 2_000),
        "a transfer of more than the distributor holds",
        "over_quantity",
    )?;
    expect_refusal(
        post(
            client,
            &sites[0],
            LOT_ADMINISTER,
            now_ms(),
            LotAdminister {
                lot: lot.clone(),
                doses: 1_500,
            }
            .encode(),
        ),
        "an administration beyond the site's stock",
        "over_quantity",
    )?;
    expect_refusal(
        post(client, &distributor, LOT_REGISTER, now_ms(), {
            let mut l = register.clone();
            l.lot = format!("{lot}-B");
            l.encode()
        }),
        "a lot registered by a non-manufacturer",
        "not_authorised",
    )?;
    println!("   refused up front: {counterfeit}");
    println!("   refused up front: {diversion}");

    // The trace, checked offline; then what a misbehaving operator could have let through.
    let view: TraceView =
        serde_json::from_value(client.get_json(&format!("/v1/health/lots/{lot}/trace"))?)?;
    let t = Instant::now();
    let (verified, report) = verify_trace(&view.extract, &log_key, &lot)?;
    let trace_ms = t.elapsed().as_secs_f64() * 1000.0;
    let fake_view: TraceView =
        serde_json::from_value(client.get_json(&format!("/v1/health/lots/{fake}/trace"))?)?;
    match verify_trace(&fake_view.extract, &log_key, &fake) {
        Err(HealthCheckError::Rule(HealthError::UnknownLot(_))) => {
            println!("   trace of {fake}: fails offline, unknown lot (counterfeit)")
        }
        other => bail!("the counterfeit lot's trace did not fail as unknown: {other:?}"),
    }
    let mut diverted = verified.entries.clone();
    let at = now_ms();
    let t2 = LotTransfer::countersigned(&lot, 4_000, &distributor.record_key(), at, &sites[1]);
    diverted.push((
        verified.checkpoint.size,
        Record::signed(
            client.origin()?,
            DOMAIN,
            LOT_TRANSFER,
            at,
            t2.encode(),
            &distributor,
        )?,
    ));
    match zkaudit_ledger::health::verify_trace(&lot, &diverted) {
        Err(e) => println!("   a diverted transfer slipped into the chain fails offline: {e}"),
        Ok(_) => bail!("a diverted transfer passed the offline check"),
    }

    // Vaccination credentials and a private proof.
    let registry_id = format!("vaccination-{run}");
    let scope_id = format!("travel-{run}");
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message("vaccination registry (circuit keys are made once per shape)");
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let spec = RegistrySpec {
        id: registry_id.clone(),
        title: "Vaccination credentials".into(),
        attributes: vec!["product".into(), "dose".into(), "date".into()],
        depth: 20,
        window_changes: 8,
        window_secs: 0,
    };
    let ident = |kind: &str, payload: Vec<u8>| -> Result<Receipt> {
        let r = client.sign(&auth.public_health, identity::DOMAIN, kind, payload)?;
        Ok(client.append(&r)?)
    };
    ident(identity::REGISTRY_CREATE, spec.encode())?;
    spinner.finish_and_clear();
    // product codes: 1 and 2 approved, 9 not; dates yyyymmdd.
    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
    let citizens: Vec<Holder> = [
        [1, 2, 20_260_301],
        [2, 3, 20_260_115],
        [1, 1, 20_260_301],
        [9, 2, 20_260_301],
    ]
    .into_iter()
    .map(|attributes| Holder {
        identity: Identity::random(&mut rng),
        attributes,
    })
    .collect();
    let issuing = bar(citizens.len() as u64, "issuing vaccination credentials");
    for c in &citizens {
        let issue = CredentialIssue {
            registry: registry_id.clone(),
            commitment: fr_to_bytes(&c.identity.commitment()),
            attributes: c.attributes.to_vec(),
        };
        ident(identity::CREDENTIAL_ISSUE, issue.encode())?;
        issuing.inc(1);
    }
    issuing.finish();
    let predicates = vec![
        AttributePredicate::one_of(&[1, 2])?,
        AttributePredicate::at_least(2),
        AttributePredicate::at_most(20_260_401),
    ];
    let scope = ScopeSpec {
        id: scope_id.clone(),
        title: "Vaccinated: approved product, dose >= 2, before 2026-04-01".into(),
        registry: registry_id.clone(),
        predicates: predicates.clone(),
        circuit_key: None,
    };
    ident(identity::SCOPE_CREATE, scope.encode())?;
    let desk = ClaimDesk {
        client,
        keys: KeyCache::new(data.join("keys")),
        registry_id: &registry_id,
        scope_id: &scope_id,
        predicates: &predicates,
    };
    let claims = desk.prove(&citizens, &[0, 1], "vaccinated")?;
    for (body, _) in &claims {
        let receipt = submit_claim(client, body)?;
        receipt.verify(&log_key)?;
    }
    let cannot = [2usize, 3]
        .iter()
        .filter(|&&i| desk.prove(&citizens, &[i], "quiet").is_err())
        .count();
    if cannot != 2 {
        bail!("a citizen with one dose or an unapproved product could prove");
    }

    println!(
        "   {} record commitments, {} consents (1 revoked), {} accesses; {flagged_total} flagged offline from the patients' access logs",
        patients.len(),
        patients.len(),
        patients.len() + 1
    );
    println!(
        "   lot {lot}: {} entries, {} transfers, {} administrations ({} doses); chain verified offline in {trace_ms:.1} ms",
        verified.entries.len(),
        report.transfers,
        report.administrations,
        report.lot.total_administered()
    );
    println!(
        "   vaccination: {} citizens proved \"approved product, dose >= 2, before 2026-04-01\" privately; {cannot} who don't qualify could not",
        claims.len()
    );
    scene.close(runtime)
}
