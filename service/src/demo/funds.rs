//! `zkaudit demo funds`: a ministry logs three procurement contracts, a
//! quarter's budget (ten categories plus one per contract) and its
//! expenditures as hidden commitments, proves the per-category totals with
//! halo2 (no trusted setup) and logs the report (in several records when
//! the proof exceeds one); the service refuses a report whose totals are
//! off by one cent; payments under each contract are checked against its
//! value; an audit office samples items from a checkpoint root, the
//! ministry opens them, and the whole period is verified offline — and
//! fails once a byte is changed.
//!
//! The demo uses chunks of 256 items (k = 13) by default so it runs in a
//! few minutes on 2 cores; `--chunk-size 1024` is the production shape
//! (k = 15, ~12 s per chunk on 2 cores).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use zkaudit_circuits::funds::{ItemOpening, field_to_bytes, item_commitment};
use zkaudit_ledger::funds::{
    AUDIT_OPENING, AUDIT_REQUEST, AuditRequest, BUDGET, Budget, CONTRACT, Category, Contract,
    DOMAIN, EXPENDITURE, Expenditure, REPORT, REPORT_PART, document_digest,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_verifier::funds::FundsBundle;

use crate::client::funds::{
    OpeningsFile, answer_for, check_audit, load_params, openings_in_log_order, os_rng,
    prove_report, stored_opening,
};
use crate::demo::scene::{Scene, bar, demo_authority};
use crate::domains::funds::{AuditView, ContractView, PeriodView};

/// Items per proof chunk in the demo.
pub const DEMO_CHUNK: u32 = 256;

const CATEGORIES: [&str; 10] = [
    "roads",
    "schools",
    "hospitals",
    "water",
    "housing",
    "transport",
    "culture",
    "police",
    "parks",
    "administration",
];

/// The contracts: tender, winner, category label.
const CONTRACTS: [(&str, &str, &str); 3] = [
    ("T-2027-014", "Danube Bridgeworks Ltd", "bridge renovation"),
    ("T-2027-022", "Northwind School IT", "school laptops"),
    ("T-2027-031", "Meridian Builders", "hospital wing"),
];

fn prepare(data: &Path) -> Result<(NoteSigningKey, NoteSigningKey)> {
    Ok((
        demo_authority(
            data,
            "demo-ministry",
            &[
                "funds/contract",
                "funds/budget",
                "funds/expenditure",
                "funds/report.part",
                "funds/report",
                "funds/audit.opening",
            ],
        )?,
        demo_authority(data, "demo-audit-office", &["funds/audit.request"])?,
    ))
}

/// What the scenario shows, printed as it starts.
const BANNER: &str = "== funds: a ministry logs hidden expenditures, proves its totals (halo2, no trusted setup), an audit office spot-checks";

/// Runs the funds scenario with `items` expenditures proved in chunks of
/// `chunk_size` items.
pub fn funds(
    runtime: &tokio::runtime::Runtime,
    data: &Path,
    items: usize,
    chunk_size: u32,
) -> Result<()> {
    let (ministry, office) = prepare(data)?;
    let scene = Scene::open(runtime, data, BANNER)?;
    let client = &scene.client;
    let period = format!("2027-Q1-{}", crate::clock::now_ms() % 1_000_000);
    let agency = hex::encode(ministry.public_key().as_bytes());

    // The quarter's expenditures, drawn up front (the openings stay with
    // the ministry, in a local file): one in ten is a payment under a
    // contract.
    let mut rng = rand_chacha::ChaCha20Rng::from_rng(rand::rngs::OsRng)?;
    let general = CATEGORIES.len() as u16;
    let openings: Vec<(ItemOpening, String)> = (0..items)
        .map(|i| {
            let amount = rng.gen_range(1_000..50_000_000u64);
            let category = if rng.gen_ratio(1, 10) {
                general + rng.gen_range(0..CONTRACTS.len() as u16)
            } else {
                rng.gen_range(0..general)
            };
            let opening = ItemOpening::random(amount, category, os_rng());
            (opening, format!("invoice {i:05}"))
        })
        .collect();

    let tender_of = |c: usize| {
        format!(
            "{}-{}",
            CONTRACTS[c].0,
            period.rsplit('-').next().unwrap_or_default()
        )
    };

    // Contracts are public: values with 20 % headroom over this quarter.
    let day = (crate::clock::now_ms() / 86_400_000) as u32;
    for (c, (tender, winner, _)) in CONTRACTS.iter().enumerate() {
        let paid: u64 = openings
            .iter()
            .filter(|(o, _)| o.category == general + c as u16)
            .map(|(o, _)| o.amount)
            .sum();
        let contract = Contract {
            tender: tender_of(c),
            winner: (*winner).into(),
            value: paid + paid / 5 + 1,
            awarded_day: day,
            ends_day: day + 365,
            documents: vec![document_digest(
                format!("tender documents of {tender}").as_bytes(),
            )],
            source: None,
        };
        client.append(&client.sign(&ministry, DOMAIN, CONTRACT, contract.encode())?)?;
    }

    let budget = Budget {
        period: period.clone(),
        chunk_size,
        categories: CATEGORIES
            .iter()
            .map(|label| Category {
                label: (*label).into(),
                appropriation: 1_000_000_000 * items as u64,
                contract: None,
            })
            .chain(
                CONTRACTS
                    .iter()
                    .enumerate()
                    .map(|(c, (_, _, label))| Category {
                        label: (*label).into(),
                        appropriation: 1_000_000_000 * items as u64,
                        contract: Some(tender_of(c)),
                    }),
            )
            .collect(),
    };
    let shape = budget.shape()?;
    client.append(&client.sign(&ministry, DOMAIN, BUDGET, budget.encode())?)?;
    println!(
        "budget for {period}: {} categories ({} bound to contracts {}), proof chunks of {} items (k = {})",
        budget.categories.len(),
        CONTRACTS.len(),
        (0..CONTRACTS.len())
            .map(tender_of)
            .collect::<Vec<_>>()
            .join(", "),
        shape.chunk_size(),
        shape.k()
    );
    let mut file = OpeningsFile::load(&data.join("demo-ministry-openings.json"))?;
    file.openings.extend(
        openings
            .iter()
            .map(|(o, label)| stored_opening(&period, label, o)),
    );
    file.save(&data.join("demo-ministry-openings.json"))?;
    let progress = bar(items as u64, "logging expenditures");
    let t = Instant::now();
    openings
        .par_iter()
        .try_for_each(|(opening, label)| -> Result<()> {
            let item = Expenditure {
                period: period.clone(),
                commitment: field_to_bytes(&item_commitment(opening)),
                label: label.clone(),
            };
            client.append(&client.sign(&ministry, DOMAIN, EXPENDITURE, item.encode())?)?;
            progress.inc(1);
            Ok(())
        })?;
    progress.finish_and_clear();
    let logged_s = t.elapsed().as_secs_f64();
    println!(
        "logged {items} expenditure commitments in {logged_s:.1} s ({:.0} per second; openings kept in demo-ministry-openings.json)",
        items as f64 / logged_s.max(1e-9)
    );

    // The report: proved over the items in LOG order (the service decides it).
    let view: PeriodView =
        serde_json::from_value(client.get_json(&format!("/v1/funds/periods/{agency}/{period}"))?)?;
    let in_order = openings_in_log_order(&view, &file)?;
    let spinner = ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    spinner.set_message(format!(
        "IPA parameters for k = {} (cached on disk)",
        shape.k()
    ));
    let params = load_params(data, shape.k())?;
    spinner.set_message(format!(
        "proving {} chunks of {} items",
        shape.chunks_for(items),
        shape.chunk_size()
    ));
    let t = Instant::now();
    let records = prove_report(&period, shape, &in_order, &params, os_rng())?;
    let prove_s = t.elapsed().as_secs_f64();
    spinner.finish_and_clear();
    let proof_bytes: usize =
        records.parts.iter().map(|p| p.proof.len()).sum::<usize>() + records.report.proof.len();
    println!(
        "proved {} items in {} chunks in {prove_s:.1} s; proof {proof_bytes} bytes in {} record(s)",
        items,
        shape.chunks_for(items),
        records.parts.len() + 1
    );
    let t = Instant::now();
    for part in &records.parts {
        client.append(&client.sign(&ministry, DOMAIN, REPORT_PART, part.encode())?)?;
    }
    let parts_s = t.elapsed().as_secs_f64();
    let report = &records.report;

    let mut cheat = report.clone();
    cheat.totals[0] += 1;
    match client.append(&client.sign(&ministry, DOMAIN, REPORT, cheat.encode())?) {
        Ok(_) => bail!("a report one cent off was accepted"),
        Err(e) if e.to_string().contains("proof_totals_mismatch") => {
            println!("refused: a report with totals one cent off ({e})")
        }
        Err(e) => bail!("the tampered report was refused for the wrong reason: {e}"),
    }
    let t = Instant::now();
    let receipt = client.append(&client.sign(&ministry, DOMAIN, REPORT, report.encode())?)?;
    println!(
        "report logged at index {} (the service verified its proof in {:.2} s{})",
        receipt.index,
        t.elapsed().as_secs_f64() + parts_s,
        if records.parts.is_empty() {
            String::new()
        } else {
            format!(", {} part records first", records.parts.len())
        }
    );
    for c in 0..CONTRACTS.len() {
        let view: ContractView = serde_json::from_value(
            client.get_json(&format!("/v1/funds/contracts/{agency}/{}", tender_of(c)))?,
        )?;
        println!(
            "contract {} ({}): paid {:.2} of {:.2}",
            view.tender,
            view.winner,
            view.paid.parse::<f64>()? / 100.0,
            view.value as f64 / 100.0
        );
    }

    // Spot audit: the seed is a checkpoint root after the report.
    let cp = client.get_json("/v1/log/checkpoint")?;
    let request = AuditRequest {
        agency: ministry.public_key().to_bytes(),
        period: period.clone(),
        seed_size: cp["size"].as_u64().context("checkpoint size")?,
        seed: hex::decode(cp["root"].as_str().unwrap_or_default())?
            .try_into()
            .map_err(|_| anyhow::anyhow!("checkpoint root"))?,
        sample: 20,
        // The office also picks one item itself: the period's last.
        chosen: items
            .checked_sub(1)
            .map(|last| last as u32)
            .into_iter()
            .collect(),
    };
    let request_record = client.sign(&office, DOMAIN, AUDIT_REQUEST, request.encode())?;
    client.append(&request_record)?;
    let id = hex::encode(request_record.id());
    let audit: AuditView =
        serde_json::from_value(client.get_json(&format!("/v1/funds/audits/{id}"))?)?;
    let answer = answer_for(&audit, &view, &file)?;
    client.append(&client.sign(&ministry, DOMAIN, AUDIT_OPENING, answer.encode())?)?;
    let audit: AuditView =
        serde_json::from_value(client.get_json(&format!("/v1/funds/audits/{id}"))?)?;
    check_audit(&audit, &view, &agency)?;
    println!(
        "audit office chose item {:?} and sampled {} more from checkpoint {}: {:?}; the ministry's openings match",
        audit.chosen, audit.random, audit.seed_size, audit.sample
    );

    // Offline: the whole period with inclusion proofs.
    let bundle_path = data.join(format!("funds-{period}.json"));
    let mut bundle = Err(anyhow::anyhow!("not requested"));
    for _ in 0..50 {
        // 503 while the period's last record waits for its checkpoint.
        bundle = client
            .get_json(&format!("/v1/funds/periods/{agency}/{period}/bundle"))
            .map_err(Into::into);
        match &bundle {
            Err(e) if e.to_string().contains("503") => {
                std::thread::sleep(std::time::Duration::from_millis(200))
            }
            _ => break,
        }
    }
    let bundle = bundle.context("fetching the period's bundle")?;
    std::fs::write(&bundle_path, serde_json::to_string_pretty(&bundle)?)?;
    let log_key = client.get_json("/v1/log")?["verifier_key"]
        .as_str()
        .context("log key")?
        .to_owned();
    let parsed: FundsBundle = serde_json::from_value(bundle)?;
    let t = Instant::now();
    let verified = parsed.verify(&log_key, |k| {
        load_params(data, k).map_err(|e| zkaudit_circuits::funds::FundsError::Io(e.to_string()))
    })?;
    println!(
        "offline: bundle of {} records verified in {:.2} s ({} items; totals per category:",
        parsed.evidence.entries.len(),
        t.elapsed().as_secs_f64(),
        verified.items
    );
    for c in &verified.categories {
        println!("    {:<20} {:>16.2}", c.label, c.total as f64 / 100.0);
    }
    println!(")");
    let mut tampered = parsed.clone();
    let last = tampered.evidence.entries.len() - 1;
    let mut leaf = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &tampered.evidence.entries[last].record,
    )?;
    let at = leaf.len() / 2;
    leaf[at] ^= 1;
    tampered.evidence.entries[last].record =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &leaf);
    if tampered
        .verify(&log_key, |k| {
            load_params(data, k).map_err(|e| zkaudit_circuits::funds::FundsError::Io(e.to_string()))
        })
        .is_ok()
    {
        bail!("a tampered bundle verified");
    }
    println!(
        "offline: the bundle with one changed byte is rejected; saved as {}",
        bundle_path.display()
    );
    let elapsed = scene.elapsed_secs();
    scene.stop(runtime)?;
    println!("funds scenario done in {elapsed:.0} s");
    Ok(())
}
