//! Public funds end to end over HTTP: budgets, hidden expenditures, period
//! reports the service verifies against EVERY logged item of the period
//! (a report off by one cent, omitting, repeating or borrowing an item is
//! refused with its reason), spot audits whose sample anyone re-derives,
//! and period bundles that verify offline — and fail once tampered.
//!
//! Large periods report in several records (`report.part`s, then the
//! report), and payments under a contract are capped by its value.
//!
//! Uses the small shape (4 items per chunk × 3 categories, k = 11) so the
//! whole file runs in seconds.

mod common;

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20::ChaCha20Rng;
use common::deploy::Deployment;
use common::ocds::assert_ocds_valid;
use common::*;
use rand_core_halo2::SeedableRng;
use zkaudit_circuits::funds::{
    FundsLayout, FundsParams, FundsShape, ItemOpening, field_to_bytes, item_commitment,
};
use zkaudit_ledger::funds::{
    AUDIT_OPENING, AUDIT_REQUEST, AuditOpening, AuditRequest, BUDGET, Budget, CONTRACT, Category,
    Contract, DOMAIN, EXPENDITURE, Expenditure, OpenedItem, REPORT, REPORT_PART, Report,
    derive_sample,
};
use zkaudit_ledger::merkle::verify_inclusion;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_service::client::Client;
use zkaudit_service::client::funds::{ReportRecords, check_audit, prove_report, submit_report};
use zkaudit_service::domains::funds::{AuditView, PeriodView};
use zkaudit_verifier::funds::FundsBundle;

/// The origin of the log these tests run.
const LOG: &str = "test.zkaudit/funds";

/// Two ministries that may log any funds record and an audit office that
/// may request audits, with the small shape's parameters.
struct Setup {
    deployment: Deployment,
    ministry: Rc<NoteSigningKey>,
    other: Rc<NoteSigningKey>,
    office: Rc<NoteSigningKey>,
    params: FundsParams,
    rng: ChaCha20Rng,
}

impl Deref for Setup {
    type Target = Deployment;

    fn deref(&self) -> &Deployment {
        &self.deployment
    }
}

fn shape() -> FundsShape {
    FundsShape::new(4, 3).unwrap()
}

fn start() -> Setup {
    let deployment = Deployment::start(
        55,
        LOG,
        &[
            ("ministry", &["funds/*"]),
            ("other-ministry", &["funds/*"]),
            ("audit-office", &["funds/audit.request"]),
        ],
    );
    let params = FundsParams::load_or_create(
        &deployment
            .data
            .join(format!("funds-params-k{}.bin", shape().k())),
        shape().k(),
    )
    .unwrap();
    Setup {
        ministry: deployment.key("ministry"),
        other: deployment.key("other-ministry"),
        office: deployment.key("audit-office"),
        deployment,
        params,
        rng: ChaCha20Rng::seed_from_u64(9),
    }
}

impl Setup {
    fn post(&self, key: &NoteSigningKey, kind: &str, payload: Vec<u8>) -> (u16, serde_json::Value) {
        self.deployment.post(key, DOMAIN, kind, payload)
    }

    /// A funds record of `kind` by `key` is accepted; returns the answer.
    fn accepted(&self, key: &NoteSigningKey, kind: &str, payload: Vec<u8>) -> serde_json::Value {
        let (status, body) = self.post(key, kind, payload);
        assert_eq!(status, 201, "{body}");
        body
    }

    /// `key` answers the audit `id` with `answer`, which is accepted; the
    /// audit then checks against the period's `view` of `agency`.
    fn answer_audit(
        &self,
        key: &NoteSigningKey,
        id: &str,
        answer: &AuditOpening,
        view: &PeriodView,
        agency: &str,
    ) {
        self.accepted(key, AUDIT_OPENING, answer.encode());
        let audit: AuditView = self.get(&format!("/v1/funds/audits/{id}"));
        check_audit(&audit, view, agency).unwrap();
    }

    /// `report` with its totals changed by `change` is refused: they are
    /// not the totals its proof proves.
    fn refuses_other_totals(&self, key: &NoteSigningKey, report: &Report, change: fn(&mut Report)) {
        let mut cheat = report.clone();
        change(&mut cheat);
        self.refused(key, REPORT, cheat.encode(), 422, "proof_totals_mismatch");
    }

    /// A funds record of `kind` by `key` is refused with `status` and `code`.
    fn refused(&self, key: &NoteSigningKey, kind: &str, payload: Vec<u8>, status: u16, code: &str) {
        let (got, body) = self.post(key, kind, payload);
        assert_eq!(got, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
    }

    fn budget(&self, key: &NoteSigningKey, period: &str, appropriations: [u64; 3]) {
        self.budget_with_contract(key, period, appropriations, None);
    }

    /// A budget of three categories; the third holds the payments under
    /// `contract`, if given.
    fn budget_with_contract(
        &self,
        key: &NoteSigningKey,
        period: &str,
        appropriations: [u64; 3],
        contract: Option<&str>,
    ) {
        let budget = Budget {
            period: period.into(),
            chunk_size: 4,
            categories: ["roads", "schools", "parks"]
                .iter()
                .zip(appropriations)
                .enumerate()
                .map(|(i, (label, appropriation))| Category {
                    label: (*label).into(),
                    appropriation,
                    contract: contract.filter(|_| i == 2).map(str::to_owned),
                })
                .collect(),
        };
        self.accepted(key, BUDGET, budget.encode());
    }

    fn record(
        &mut self,
        key: &NoteSigningKey,
        period: &str,
        amount: u64,
        category: u16,
    ) -> ItemOpening {
        let opening = ItemOpening::random(amount, category, &mut self.rng);
        let item = Expenditure {
            period: period.into(),
            commitment: field_to_bytes(&item_commitment(&opening)),
            label: format!("invoice {amount}"),
        };
        self.accepted(key, EXPENDITURE, item.encode());
        opening
    }

    /// A report in one record (small periods).
    fn prove(&mut self, period: &str, openings: &[ItemOpening]) -> Report {
        let records = self.prove_records(period, openings);
        assert!(records.parts.is_empty());
        records.report
    }

    fn prove_records(&mut self, period: &str, openings: &[ItemOpening]) -> ReportRecords {
        let rng = ChaCha20Rng::seed_from_u64(rand_core_halo2::Rng::next_u64(&mut self.rng));
        prove_report(period, shape(), openings, &self.params, rng).unwrap()
    }

    fn agency(&self, key: &NoteSigningKey) -> String {
        hex::encode(key.public_key().as_bytes())
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.server.get_json(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_value(body).unwrap()
    }

    fn params_dir(&self) -> PathBuf {
        self.data.clone()
    }

    /// Runs `zkaudit` with this deployment's parameters (and server, for
    /// the commands that take one).
    fn zkaudit(&self, args: &[&str]) -> std::process::Output {
        zkaudit_env(
            args,
            &[
                ("ZKAUDIT_SERVER", self.base().as_ref()),
                ("ZKAUDIT_PARAMS_DIR", self.data.as_os_str()),
            ],
        )
    }
}

#[test]
fn reports_audits_and_bundles() {
    let mut st = start();
    let (ministry, other) = (st.ministry.clone(), st.other.clone());
    let period = "2027-Q1";
    st.budget(&ministry, period, [10_000, 10_000, 50]);
    // A second budget for the same period is refused.
    st.budget(&ministry, "2027-Q2", [10_000; 3]);
    st.budget(&other, period, [10_000; 3]);
    let budget_again = Budget {
        period: period.into(),
        chunk_size: 4,
        categories: vec![Category {
            label: "x".into(),
            appropriation: 1,
            contract: None,
        }],
    };
    st.refused(
        &ministry,
        BUDGET,
        budget_again.encode(),
        409,
        "already_used",
    );

    // A public contract award; one per tender.
    let contract = Contract {
        tender: "T-2027-001".into(),
        winner: "Acme Roads Ltd".into(),
        value: 1_500_000,
        awarded_day: 20_800,
        ends_day: 21_000,
        documents: vec![[7; 32]],
        source: None,
    };
    st.accepted(&ministry, CONTRACT, contract.encode());
    let again = Contract {
        value: 2,
        ..contract.clone()
    };
    st.refused(&ministry, CONTRACT, again.encode(), 409, "already_used");
    let shown: serde_json::Value = st.get(&format!(
        "/v1/funds/contracts/{}/T-2027-001",
        st.agency(&ministry)
    ));
    assert_eq!(shown["winner"], "Acme Roads Ltd");
    assert_eq!(shown["value"], 1_500_000);

    // Six items (two chunks), interleaved with items of another period and
    // of another agency.
    let amounts = [(120, 0), (300, 1), (45, 2), (999, 0), (1, 1), (5, 0)];
    let mut items = Vec::new();
    let mut foreign = Vec::new();
    for (i, (amount, category)) in amounts.into_iter().enumerate() {
        items.push(st.record(&ministry, period, amount, category));
        if i == 2 {
            foreign.push(st.record(&ministry, "2027-Q2", 7, 0));
            foreign.push(st.record(&other, period, 8, 0));
        }
    }

    // Off by one cent: refused by the proof's totals check.
    let honest = st.prove(period, &items);
    assert_eq!(honest.totals, vec![1124, 301, 45]);
    st.refuses_other_totals(&ministry, &honest, |r| r.totals[0] += 1);
    // Omitting an item: the count rule, and a proof over fewer items.
    let short = st.prove(period, &items[..5]);
    st.refused(&ministry, REPORT, short.encode(), 409, "item_count");
    let mut short_claiming_all = short.clone();
    short_claiming_all.items = 6;
    st.refused(
        &ministry,
        REPORT,
        short_claiming_all.encode(),
        422,
        "proof_invalid",
    );
    // Repeating an item in place of another.
    let mut repeated = items.clone();
    repeated[5] = repeated[4];
    let report = st.prove(period, &repeated);
    st.refused(&ministry, REPORT, report.encode(), 422, "proof_invalid");
    // Borrowing another period's or agency's item.
    for borrowed in &foreign {
        let mut mixed = items.clone();
        mixed[1] = *borrowed;
        let report = st.prove(period, &mixed);
        st.refused(&ministry, REPORT, report.encode(), 422, "proof_invalid");
    }
    // Items out of log order do not match the logged sequence either.
    let mut swapped = items.clone();
    swapped.swap(0, 1);
    let report = st.prove(period, &swapped);
    st.refused(&ministry, REPORT, report.encode(), 422, "proof_invalid");

    // The honest report is accepted and closes the period.
    let body = st.accepted(&ministry, REPORT, honest.encode());
    let report_index = body["index"].as_u64().unwrap();
    st.refused(&ministry, REPORT, honest.encode(), 409, "period_closed");
    let late = Expenditure {
        period: period.into(),
        commitment: field_to_bytes(&item_commitment(&ItemOpening::random(1, 0, &mut st.rng))),
        label: "late".into(),
    };
    st.refused(&ministry, EXPENDITURE, late.encode(), 409, "period_closed");

    // Totals within appropriations: a period over budget cannot be reported.
    st.budget(&ministry, "2027-Q3", [50, 50, 50]);
    let over = vec![st.record(&ministry, "2027-Q3", 51, 0)];
    let report = st.prove("2027-Q3", &over);
    st.refused(&ministry, REPORT, report.encode(), 422, "over_budget");

    let agency = st.agency(&ministry);
    let view: PeriodView = st.get(&format!("/v1/funds/periods/{agency}/{period}"));
    assert_eq!(view.expenditures.len(), 6);
    assert_eq!(view.summary.report_index, Some(report_index));
    assert_eq!(view.categories[0].total.as_deref(), Some("1124"));

    // Spot audit: the seed must be a checkpoint root after the report.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let (_, cp) = st.server.get_json("/v1/log/checkpoint");
    let seed: [u8; 32] = hex::decode(cp["root"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let seed_size = cp["size"].as_u64().unwrap();
    assert!(seed_size > report_index, "checkpoint {cp}");
    let request = AuditRequest {
        agency: ministry.public_key().to_bytes(),
        period: period.into(),
        seed_size,
        seed,
        sample: 3,
        chosen: vec![],
    };
    let office = st.office.clone();
    let wrong_root = AuditRequest {
        seed: [1; 32],
        ..request.clone()
    };
    st.refused(&office, AUDIT_REQUEST, wrong_root.encode(), 422, "bad_seed");
    let early = AuditRequest {
        seed_size: report_index,
        ..request.clone()
    };
    st.refused(&office, AUDIT_REQUEST, early.encode(), 422, "bad_seed");
    let request_record = Record::signed(
        LOG,
        DOMAIN,
        AUDIT_REQUEST,
        now_ms(),
        request.encode(),
        &*office,
    )
    .unwrap();
    let (status, body) = st.server.post_record(&request_record);
    assert_eq!(status, 201, "{body}");
    let id = hex::encode(request_record.id());
    let audit: AuditView = st.get(&format!("/v1/funds/audits/{id}"));
    let sample = derive_sample(&seed, &request.agency, period, 6, 3);
    assert_eq!(audit.sample, sample);
    assert_eq!(sample.len(), 3);

    let open = |position: u32, opening: &ItemOpening| OpenedItem {
        item: position,
        amount: opening.amount,
        category: opening.category,
        salt: field_to_bytes(&opening.salt),
    };
    let honest_answer = AuditOpening {
        request: request_record.id(),
        items: sample
            .iter()
            .map(|&p| open(p, &items[p as usize]))
            .collect(),
    };
    let mut wrong = honest_answer.clone();
    wrong.items[1].amount += 1;
    st.refused(
        &ministry,
        AUDIT_OPENING,
        wrong.encode(),
        422,
        "opening_mismatch",
    );
    let mut partial = honest_answer.clone();
    partial.items.pop();
    st.refused(
        &ministry,
        AUDIT_OPENING,
        partial.encode(),
        422,
        "wrong_sample",
    );
    st.refused(
        &other,
        AUDIT_OPENING,
        honest_answer.encode(),
        403,
        "not_agency",
    );
    st.answer_audit(&ministry, &id, &honest_answer, &view, &agency);
    // Anyone's check fails on a doctored view of the answer.
    let mut doctored: AuditView = st.get(&format!("/v1/funds/audits/{id}"));
    doctored.opened[0].amount += 1;
    assert!(check_audit(&doctored, &view, &agency).is_err());

    // An audit of an item the office chose (the last) and two sampled ones;
    // a chosen item outside the period is refused.
    let outside = AuditRequest {
        chosen: vec![6],
        ..request.clone()
    };
    st.refused(
        &office,
        AUDIT_REQUEST,
        outside.encode(),
        422,
        "invalid_payload",
    );
    let chosen_request = AuditRequest {
        sample: 2,
        chosen: vec![5],
        ..request.clone()
    };
    let chosen_record = Record::signed(
        LOG,
        DOMAIN,
        AUDIT_REQUEST,
        now_ms(),
        chosen_request.encode(),
        &*office,
    )
    .unwrap();
    let (status, body) = st.server.post_record(&chosen_record);
    assert_eq!(status, 201, "{body}");
    let chosen_id = hex::encode(chosen_record.id());
    let chosen_audit: AuditView = st.get(&format!("/v1/funds/audits/{chosen_id}"));
    assert_eq!(chosen_audit.sample.len(), 3);
    assert!(chosen_audit.sample.contains(&5));
    let answer = AuditOpening {
        request: chosen_record.id(),
        items: chosen_audit
            .sample
            .iter()
            .map(|&p| open(p, &items[p as usize]))
            .collect(),
    };
    // Leaving the chosen item out of the answer is refused.
    let mut evasive = answer.clone();
    evasive.items.retain(|i| i.item != 5);
    st.refused(
        &ministry,
        AUDIT_OPENING,
        evasive.encode(),
        422,
        "wrong_sample",
    );
    st.answer_audit(&ministry, &chosen_id, &answer, &view, &agency);

    // The bundle verifies offline; changed or missing records fail.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let bundle: FundsBundle = st.get(&format!("/v1/funds/periods/{agency}/{period}/bundle"));
    let params = |k: u32| {
        assert_eq!(k, shape().k());
        FundsParams::load_or_create(&st.params_dir().join(format!("funds-params-k{k}.bin")), k)
    };
    let verified = bundle.verify(&st.log_vkey, params).unwrap();
    assert_eq!(verified.items, 6);
    assert_eq!(verified.agency, "ministry");
    assert_eq!(
        verified
            .categories
            .iter()
            .map(|c| c.total)
            .collect::<Vec<_>>(),
        vec![1124, 301, 45]
    );
    assert_eq!(verified.audits.len(), 2);
    assert_eq!(verified.audits[0], (sample.clone(), true));
    assert!(verified.audits[1].0.contains(&5) && verified.audits[1].1);

    for position in 0..bundle.evidence.entries.len() {
        let mut tampered = bundle.clone();
        let entry = &mut tampered.evidence.entries[position];
        let mut leaf =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &entry.record)
                .unwrap();
        let at = leaf.len() - 70;
        leaf[at] ^= 1;
        entry.record = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &leaf);
        assert!(
            tampered.verify(&st.log_vkey, params).is_err(),
            "entry {position}"
        );
    }
    // Leaving out an expenditure (record and all): the period proof fails.
    let mut missing = bundle.clone();
    let first_item = view.expenditures[2].index;
    missing.evidence.entries.retain(|e| e.index != first_item);
    assert!(missing.verify(&st.log_vkey, params).is_err());

    // And through the binary, as a citizen would.
    let file = st.path("bundle.json");
    std::fs::write(&file, serde_json::to_string(&bundle).unwrap()).unwrap();
    let run = |path: &Path| st.zkaudit(&["verify", s(path), "--log-key", &st.log_vkey]);
    let out = run(&file);
    assert_ran(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("all 6 logged expenditures"), "{stdout}");
    let tampered_file = st.path("missing.json");
    std::fs::write(&tampered_file, serde_json::to_string(&missing).unwrap()).unwrap();
    let out = run(&tampered_file);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does NOT verify"));
}

/// A period too large for one record reports in parts that must continue
/// one chain; payments under a contract are capped across periods; the
/// bundle holds and checks every part.
/// A report proved in circuit version 1 (one Poseidon chip, as every
/// report was before version 2) is still accepted, and its bundle verifies
/// offline with version 1's key. Relabelled as version 2 (the same
/// statement under another key) it is refused. New reports are version 2.
#[test]
fn reports_of_the_old_circuit_version_still_verify() {
    let mut st = start();
    let ministry = st.ministry.clone();
    let agency = st.agency(&ministry);
    st.budget(&ministry, "V1", [10_000; 3]);
    let mut items = Vec::new();
    for i in 0..6u64 {
        items.push(st.record(&ministry, "V1", 100 + i, (i % 3) as u16));
    }
    let old_shape = shape().with_layout(FundsLayout::OneHasher);
    let records = prove_report(
        "V1",
        old_shape,
        &items,
        &st.params,
        ChaCha20Rng::seed_from_u64(21),
    )
    .unwrap();
    assert!(records.parts.is_empty());
    let report = records.report;
    assert_eq!(&report.proof[..8], b"zkfunds1");
    let mut relabelled = report.clone();
    relabelled.proof[7] = b'2';
    st.refused(&ministry, REPORT, relabelled.encode(), 422, "proof_invalid");
    st.accepted(&ministry, REPORT, report.encode());

    std::thread::sleep(std::time::Duration::from_millis(600));
    let bundle: FundsBundle = st.get(&format!("/v1/funds/periods/{agency}/V1/bundle"));
    let params = |k: u32| {
        assert_eq!(k, old_shape.k());
        FundsParams::load_or_create(&st.params_dir().join(format!("funds-params-k{k}.bin")), k)
    };
    let verified = bundle.verify(&st.log_vkey, params).unwrap();
    assert_eq!(verified.shape, old_shape);
    assert_eq!(verified.items, 6);
    assert_eq!(
        verified
            .categories
            .iter()
            .map(|c| c.total)
            .collect::<Vec<_>>(),
        [100 + 103, 101 + 104, 102 + 105]
    );

    // The current layout is what new reports are proved in.
    st.budget(&ministry, "V2", [10_000; 3]);
    let item = st.record(&ministry, "V2", 7, 1);
    let report = st.prove("V2", &[item]);
    assert_eq!(&report.proof[..8], b"zkfunds2");
    st.accepted(&ministry, REPORT, report.encode());
}

#[test]
fn large_reports_in_parts_and_contract_caps() {
    let mut st = start();
    let ministry = st.ministry.clone();
    let agency = st.agency(&ministry);
    let contract = Contract {
        tender: "T-9".into(),
        winner: "Meridian Builders".into(),
        value: 0,
        awarded_day: 20_800,
        ends_day: 21_200,
        documents: vec![],
        source: None,
    };
    // Category 2 is bound to T-9: unknown until the contract is logged.
    let unbound = Budget {
        period: "Q1".into(),
        chunk_size: 4,
        categories: vec![Category {
            label: "bridge".into(),
            appropriation: 1,
            contract: Some("T-9".into()),
        }],
    };
    st.refused(&ministry, BUDGET, unbound.encode(), 422, "unknown_target");

    // 98 items: 25 chunks of 4, too many for one record at k = 11.
    let amounts: Vec<(u64, u16)> = (0..98u64).map(|i| (1_000 + i, (i % 3) as u16)).collect();
    let paid_q1: u64 = amounts.iter().filter(|a| a.1 == 2).map(|a| a.0).sum();
    let value = paid_q1 + 10;
    st.accepted(
        &ministry,
        CONTRACT,
        Contract {
            value,
            ..contract.clone()
        }
        .encode(),
    );
    st.budget_with_contract(&ministry, "Q1", [u64::MAX; 3], Some("T-9"));
    let items: Vec<ItemOpening> = amounts
        .iter()
        .map(|&(amount, category)| st.record(&ministry, "Q1", amount, category))
        .collect();
    let a = st.prove_records("Q1", &items);
    let b = st.prove_records("Q1", &items);
    assert!(a.parts.len() >= 2, "{} parts", a.parts.len());
    assert_eq!(a.report.first_chunk, {
        let staged: usize = a
            .parts
            .iter()
            .map(|p| {
                zkaudit_circuits::funds::PeriodProof::from_bytes(&p.proof)
                    .unwrap()
                    .chunks
                    .len()
            })
            .sum();
        staged as u32
    });
    let part = |p: &zkaudit_ledger::funds::ReportPart| p.encode();

    // The report before its parts, or a part out of order: refused.
    st.refused(
        &ministry,
        REPORT,
        a.report.encode(),
        409,
        "part_out_of_order",
    );
    st.refused(
        &ministry,
        REPORT_PART,
        part(&a.parts[1]),
        409,
        "part_out_of_order",
    );
    // A part whose chunk proof was changed: its halo2 proof is checked.
    let mut forged = a.parts[0].clone();
    let at = forged.proof.len() - 100;
    forged.proof[at] ^= 1;
    st.refused(
        &ministry,
        REPORT_PART,
        forged.encode(),
        422,
        "proof_invalid",
    );
    st.accepted(&ministry, REPORT_PART, part(&a.parts[0]));
    // Another proof's second part does not continue this chain.
    st.refused(
        &ministry,
        REPORT_PART,
        part(&b.parts[1]),
        422,
        "proof_chain_broken",
    );
    // Starting over from chunk 0 with proof B discards A's part…
    for p in &b.parts {
        st.accepted(&ministry, REPORT_PART, part(p));
    }
    // …so A's report no longer continues the staged chain; B's does.
    st.refused(
        &ministry,
        REPORT,
        a.report.encode(),
        422,
        "proof_chain_broken",
    );
    st.refuses_other_totals(&ministry, &b.report, |r| r.totals[1] -= 1);
    // The CLI's submission re-sends B's parts from chunk 0 (starting over
    // again), then the report.
    let receipt = submit_report(&Client::new(st.base()), &ministry, &b).unwrap();
    let view: PeriodView = st.get(&format!("/v1/funds/periods/{agency}/Q1"));
    assert_eq!(view.summary.report_index, Some(receipt.index));
    assert_eq!(view.parts.len(), b.parts.len());
    assert_eq!(view.staged_chunks as u32, b.report.first_chunk);

    // The contract's payments are the proven total of its category.
    let shown: serde_json::Value = st.get(&format!("/v1/funds/contracts/{agency}/T-9"));
    assert_eq!(shown["paid"], paid_q1.to_string(), "{shown}");
    // Q2 may pay at most the 10 left: 11 is refused, 10 accepted.
    st.budget_with_contract(&ministry, "Q2", [u64::MAX; 3], Some("T-9"));
    let over = vec![st.record(&ministry, "Q2", 11, 2)];
    let report = st.prove("Q2", &over);
    st.refused(&ministry, REPORT, report.encode(), 422, "contract_exceeded");
    st.budget_with_contract(&ministry, "Q3", [u64::MAX; 3], Some("T-9"));
    let exact = vec![st.record(&ministry, "Q3", 10, 2)];
    let report = st.prove("Q3", &exact);
    st.accepted(&ministry, REPORT, report.encode());
    let shown: serde_json::Value = st.get(&format!("/v1/funds/contracts/{agency}/T-9"));
    assert_eq!(shown["paid"], value.to_string(), "{shown}");

    // Offline: the bundle holds the contract, every used part and the
    // report, and verifies the whole chain; A's abandoned part is not in it.
    std::thread::sleep(std::time::Duration::from_millis(600));
    // The contract as OCDS 1.1: valid by the standard's own schemas with
    // the zkaudit extension merged in, the proven payments as transactions,
    // and every log entry it names proven against the checkpoint it holds.
    let package: serde_json::Value = st.get(&format!(
        "/v1/funds/ocds/contracts/{agency}/T-9?currency=EUR&ocid_prefix=ocds-abc123"
    ));
    assert_ocds_valid(&package);
    let release = &package["releases"][0];
    assert_eq!(
        release["tag"],
        serde_json::json!(["award", "contract", "implementation"])
    );
    assert!(
        release["ocid"]
            .as_str()
            .unwrap()
            .starts_with("ocds-abc123-")
    );
    let signed = &release["contracts"][0];
    assert_eq!(signed["value"]["currency"], "EUR");
    assert_eq!(signed["value"]["amount"], value as f64 / 100.0);
    let transactions = signed["implementation"]["transactions"].as_array().unwrap();
    let paid: Vec<(&str, f64)> = transactions
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap(),
                t["value"]["amount"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(paid, [("Q1", paid_q1 as f64 / 100.0), ("Q3", 0.1)]);
    let evidence = &release["zkaudit"];
    let proven: Vec<&str> = evidence["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["provenTotal"].as_str().unwrap())
        .collect();
    assert_eq!(proven, [paid_q1.to_string(), "10".to_owned()]);
    let checkpoint = zkaudit_verifier::open_checkpoint(
        evidence["checkpoint"].as_str().unwrap().as_bytes(),
        &st.log_vkey,
    )
    .unwrap();
    let mut entries = vec![&evidence["contract"]];
    entries.extend(
        evidence["payments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["report"]),
    );
    for entry in entries {
        let hash = |value: &serde_json::Value| -> [u8; 32] {
            hex::decode(value.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        };
        let proof: Vec<[u8; 32]> = entry["inclusionProof"]
            .as_array()
            .unwrap()
            .iter()
            .map(hash)
            .collect();
        let index = entry["logIndex"].as_u64().unwrap();
        let leaf = hash(&entry["leafHash"]);
        verify_inclusion(&leaf, index, checkpoint.size, &proof, &checkpoint.root).unwrap();
        let mut forged = leaf;
        forged[0] ^= 1;
        assert!(
            verify_inclusion(&forged, index, checkpoint.size, &proof, &checkpoint.root).is_err()
        );
        // The leaf is the record the log serves at that index.
        let served: serde_json::Value = st.get(&format!("/v1/log/entries/{index}"));
        let record = BASE64.decode(served["record"].as_str().unwrap()).unwrap();
        assert_eq!(zkaudit_ledger::merkle::leaf_hash(&record), leaf);
    }
    // The verifier crate checks the same (the CLI's export runs it), and
    // rejects a package whose leaf was changed.
    assert_eq!(
        zkaudit_verifier::funds::verify_ocds_evidence(&package, &st.log_vkey).unwrap(),
        3
    );
    let mut forged = package.clone();
    let leaf = &mut forged["releases"][0]["zkaudit"]["payments"][1]["report"]["leafHash"];
    let text = leaf.as_str().unwrap();
    let first = if text.starts_with('0') { "1" } else { "0" };
    *leaf = format!("{first}{}", &text[1..]).into();
    assert!(zkaudit_verifier::funds::verify_ocds_evidence(&forged, &st.log_vkey).is_err());
    // A period's package: the contracts its budget binds; bad parameters
    // and unknown contracts refused.
    let period: serde_json::Value = st.get(&format!("/v1/funds/ocds/periods/{agency}/Q3"));
    assert_ocds_valid(&period);
    assert_eq!(period["releases"].as_array().unwrap().len(), 1);
    assert_eq!(period["releases"][0]["tender"]["id"], "T-9");
    for (query, status) in [
        ("contracts/{agency}/T-9?currency=euro", 400),
        ("contracts/{agency}/T-9?ocid_prefix=ocds-", 400),
        ("contracts/{agency}/T-9?colour=red", 400),
        ("contracts/{agency}/T-404", 404),
        ("periods/{agency}/Q9", 404),
    ] {
        let path = format!("/v1/funds/ocds/{}", query.replace("{agency}", &agency));
        let answer = agent().get(&format!("{}{path}", st.base())).call().unwrap();
        assert_eq!(answer.status(), status, "{path}");
    }
    let extension: serde_json::Value = st.get("/v1/funds/ocds/extension.json");
    assert_eq!(extension["compatibility"], serde_json::json!(["1.1"]));

    let bundle: FundsBundle = st.get(&format!("/v1/funds/periods/{agency}/Q1/bundle"));
    let params = |k: u32| {
        FundsParams::load_or_create(&st.params_dir().join(format!("funds-params-k{k}.bin")), k)
    };
    let verified = bundle.verify(&st.log_vkey, params).unwrap();
    assert_eq!(verified.items, 98);
    assert_eq!(verified.report_records, b.parts.len() + 1);
    assert_eq!(verified.categories[2].total, u128::from(paid_q1));
    assert_eq!(
        verified.categories[2].contract,
        Some(("T-9".to_owned(), value))
    );
    // Without one of the parts, the report does not continue the chain and
    // the period has no report; a changed part fails its inclusion proof.
    let mut missing = bundle.clone();
    missing
        .evidence
        .entries
        .retain(|e| e.index != view.parts[0]);
    assert!(missing.verify(&st.log_vkey, params).is_err());
    let mut tampered = bundle.clone();
    let entry = tampered
        .evidence
        .entries
        .iter_mut()
        .find(|e| e.index == view.parts[1])
        .unwrap();
    let mut leaf =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &entry.record).unwrap();
    let at = leaf.len() - 200;
    leaf[at] ^= 1;
    entry.record = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &leaf);
    assert!(tampered.verify(&st.log_vkey, params).is_err());
}

/// The agency's and the audit office's whole workflow through the
/// `zkaudit funds` commands, as they would run it.
#[test]
fn the_cli_runs_a_period_end_to_end() {
    let st = start();
    let dir = st.dir();
    let write_key = |name: &str, key: &NoteSigningKey| {
        let path = dir.join(name);
        std::fs::write(&path, key.to_skey_string().as_bytes()).unwrap();
        path
    };
    let ministry_key = write_key("ministry.key", &st.ministry);
    let office_key = write_key("office.key", &st.office);
    let openings = dir.join("openings.json");
    let document = dir.join("contract.txt");
    std::fs::write(&document, b"the signed contract").unwrap();
    let zkaudit = |args: &[&str]| {
        let out = st.zkaudit(args);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ok = |args: &[&str]| {
        let (success, stdout, stderr) = zkaudit(args);
        assert!(success, "{args:?}: {stderr}");
        stdout
    };
    let m = ministry_key.to_str().unwrap();
    let contract = [
        "funds",
        "contract",
        "--key",
        m,
        "--tender",
        "T-1",
        "--winner",
        "Acme Roads Ltd",
        "--value",
        "5000",
        "--awarded",
        "2027-01-10",
        "--ends",
        "2027-06-30",
        "--document",
        document.to_str().unwrap(),
    ];
    let (success, _, stderr) = zkaudit(
        &[
            &contract[..8],
            &[
                "--value",
                "5000",
                "--awarded",
                "10/01/2027",
                "--ends",
                "2027-06-30",
            ],
        ]
        .concat(),
    );
    assert!(
        !success && stderr.contains("expected YYYY-MM-DD"),
        "{stderr}"
    );
    assert!(ok(&contract).contains("contract T-1 logged"));
    let agency = st.agency(&st.ministry);
    let show_contract = || -> serde_json::Value {
        let shown = ok(&[
            "funds",
            "show-contract",
            "--agency",
            &agency,
            "--tender",
            "T-1",
        ]);
        serde_json::from_str(&shown).unwrap()
    };
    let shown = show_contract();
    // The logged digest is the document's plain SHA3-256, which anyone can recompute.
    assert_eq!(
        shown["documents"][0],
        hex::encode(<sha3::Sha3_256 as sha3::Digest>::digest(
            b"the signed contract"
        ))
    );

    let budget = |bridge: &str| {
        zkaudit(&[
            "funds",
            "budget",
            "--key",
            m,
            "--period",
            "2027-Q1",
            "--chunk-size",
            "4",
            "--category",
            "roads=100000",
            "--category",
            bridge,
        ])
    };
    let (success, _, stderr) = budget("bridge=5000@T-404");
    assert!(
        !success && stderr.contains("no contract \"T-404\""),
        "{stderr}"
    );
    let (success, _, stderr) = budget("bridge=5000@T-1");
    assert!(success, "{stderr}");
    let items = [(1200, "0"), (900, "1"), (350, "0"), (4100, "1"), (10, "0")];
    for (amount, category) in items {
        ok(&[
            "funds",
            "record",
            "--key",
            m,
            "--period",
            "2027-Q1",
            "--amount",
            &amount.to_string(),
            "--category",
            category,
            "--label",
            "invoice",
            "--openings",
            openings.to_str().unwrap(),
        ]);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&openings).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the openings file is private");
    }
    let reported = ok(&[
        "funds",
        "report",
        "--key",
        m,
        "--period",
        "2027-Q1",
        "--openings",
        openings.to_str().unwrap(),
    ]);
    assert!(reported.contains("report of 5 items"), "{reported}");
    let shown = show_contract();
    assert_eq!(shown["paid"], "5000", "{shown}");

    // The audit office samples from a checkpoint after the report.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let requested = ok(&[
        "funds",
        "audit",
        "request",
        "--key",
        office_key.to_str().unwrap(),
        "--agency",
        &agency,
        "--period",
        "2027-Q1",
        "--sample",
        "1",
        "--item",
        "4",
    ]);
    let id = requested.split_whitespace().nth(2).unwrap().to_owned();
    ok(&[
        "funds",
        "audit",
        "answer",
        "--key",
        m,
        "--request",
        &id,
        "--openings",
        openings.to_str().unwrap(),
    ]);
    assert!(ok(&["funds", "audit", "check", &id]).contains("openings match"));

    std::thread::sleep(std::time::Duration::from_millis(600));
    let bundle = dir.join("q1.json");
    ok(&[
        "funds",
        "bundle",
        "--agency",
        &agency,
        "--period",
        "2027-Q1",
        "--out",
        bundle.to_str().unwrap(),
    ]);
    let verified = ok(&[
        "verify",
        bundle.to_str().unwrap(),
        "--log-key",
        &st.log_vkey,
    ]);
    assert!(verified.contains("all 5 logged expenditures"), "{verified}");
    assert!(verified.contains("contract T-1 value 5000"), "{verified}");

    // Published as OCDS: the contract, then the period's contracts; the
    // CLI checks the log evidence before printing.
    let ocds = |what: &[&str]| -> serde_json::Value {
        let (success, stdout, stderr) = zkaudit(
            &[
                &["funds", "export-ocds", "--agency", &agency][..],
                what,
                &["--currency", "EUR", "--log-key", &st.log_vkey],
            ]
            .concat(),
        );
        assert!(success, "{stderr}");
        assert!(
            stderr.contains("log entries they name is proven"),
            "{stderr}"
        );
        serde_json::from_str(&stdout).unwrap()
    };
    for package in [ocds(&["--tender", "T-1"]), ocds(&["--period", "2027-Q1"])] {
        assert_ocds_valid(&package);
        let release = &package["releases"][0];
        assert_eq!(release["tender"]["id"], "T-1");
        assert_eq!(release["contracts"][0]["value"]["amount"], 50.0);
        assert_eq!(release["zkaudit"]["payments"][0]["provenTotal"], "5000");
    }
    let (success, _, stderr) = zkaudit(&["funds", "export-ocds", "--agency", &agency]);
    assert!(!success && stderr.contains("--tender"), "{stderr}");
}
