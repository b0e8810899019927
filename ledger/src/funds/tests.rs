//! Unit tests of the funds domain: payload codecs, closing periods, staged
//! report parts, contract caps and audit samples.

use super::*;
use crate::record::{Record, TEST_LOG};
use zkaudit_circuits::funds::{
    ChainStart, ChunkProof, FundsError, FundsLayout, FundsShape, PeriodProof, pallas,
};

#[test]
fn payloads_round_trip_and_decode_strictly() {
    let budget = Budget {
        period: "2027-Q1".into(),
        chunk_size: 4,
        categories: vec![Category {
            label: "roads".into(),
            appropriation: 10,
            contract: None,
        }],
    };
    assert_eq!(Budget::decode(&budget.encode()), Ok(budget.clone()));
    let bad = Budget {
        chunk_size: 5,
        ..budget
    };
    assert!(matches!(
        Budget::decode(&bad.encode()),
        Err(FundsRuleError::Invalid(_))
    ));
    let item = Expenditure {
        period: "2027-Q1".into(),
        commitment: [1; 32],
        label: "bridge".into(),
    };
    assert_eq!(Expenditure::decode(&item.encode()), Ok(item.clone()));
    let non_canonical = Expenditure {
        commitment: [0xff; 32],
        ..item
    };
    assert!(Expenditure::decode(&non_canonical.encode()).is_err());
    let mut trailing = non_canonical.encode();
    trailing.push(0);
    assert!(Expenditure::decode(&trailing).is_err());
}

fn key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

fn signed(key: &ed25519_dalek::SigningKey, kind: &str, payload: Vec<u8>) -> Record {
    Record::signed(TEST_LOG, DOMAIN, kind, 1, payload, key).unwrap()
}

fn item(period: &str, c: u8) -> Vec<u8> {
    let mut commitment = [0u8; 32];
    commitment[0] = c;
    Expenditure {
        period: period.into(),
        commitment,
        label: String::new(),
    }
    .encode()
}

/// Period `P`: chunks of 4, one category `a` of 100.
fn one_category_budget() -> Budget {
    Budget {
        period: "P".into(),
        chunk_size: 4,
        categories: vec![Category {
            label: "a".into(),
            appropriation: 100,
            contract: None,
        }],
    }
}

#[test]
fn the_book_closes_periods_and_skips_reports_that_miss_items() {
    let (agency, other) = (key(1), key(2));
    let mut book = FundsBook::new();
    let budget = one_category_budget();
    book.apply(0, &signed(&agency, BUDGET, budget.encode()));
    assert_eq!(
        book.check(&signed(&agency, BUDGET, budget.encode()))
            .unwrap_err(),
        FundsRuleError::BudgetExists("P".into())
    );
    // Another agency has no budget for P.
    assert_eq!(
        book.check(&signed(&other, EXPENDITURE, item("P", 1)))
            .unwrap_err(),
        FundsRuleError::NoBudget("P".into())
    );
    book.apply(1, &signed(&agency, EXPENDITURE, item("P", 1)));
    let report = |items, total| Report {
        period: "P".into(),
        items,
        first_chunk: 0,
        totals: vec![total],
        final_blinding: [0; 32],
        proof: fake_run(4, 1, ChainStart::initial(), 1),
    };
    // A report admitted for one item, but logged after a second item
    // raced in: the book skips it and the period stays open.
    book.apply(2, &signed(&agency, EXPENDITURE, item("P", 2)));
    book.apply(3, &signed(&agency, REPORT, report(1, 5).encode()));
    let key_a = agency.verifying_key();
    assert!(book.period(&key_a, "P").unwrap().report.is_none());
    assert_eq!(
        book.check(&signed(&agency, REPORT, report(2, 101).encode()))
            .unwrap_err(),
        FundsRuleError::OverBudget { category: 0 }
    );
    book.apply(4, &signed(&agency, REPORT, report(2, 5).encode()));
    let period = book.period(&key_a, "P").unwrap();
    assert_eq!(period.report.as_ref().map(|r| r.0), Some(4));
    assert_eq!(period.indices(), vec![0, 1, 2, 4]);
    // Closed: a late item is refused and skipped.
    assert_eq!(
        book.check(&signed(&agency, EXPENDITURE, item("P", 3)))
            .unwrap_err(),
        FundsRuleError::PeriodClosed("P".into())
    );
    book.apply(5, &signed(&agency, EXPENDITURE, item("P", 3)));
    assert_eq!(book.period(&key_a, "P").unwrap().items.len(), 2);
    // Contracts: one per tender and agency.
    let contract = Contract {
        tender: "T-1".into(),
        winner: "Acme Roads Ltd".into(),
        value: 10,
        awarded_day: 20_000,
        ends_day: 20_100,
        documents: vec![[3; 32]],
        source: None,
    };
    assert_eq!(Contract::decode(&contract.encode()), Ok(contract.clone()));
    book.apply(6, &signed(&agency, CONTRACT, contract.encode()));
    assert_eq!(
        book.check(&signed(&agency, CONTRACT, contract.encode()))
            .unwrap_err(),
        FundsRuleError::ContractExists("T-1".into())
    );
    assert!(
        book.check(&signed(&other, CONTRACT, contract.encode()))
            .is_ok()
    );
    let backwards = Contract {
        ends_day: 1,
        ..contract.clone()
    };
    assert!(Contract::decode(&backwards.encode()).is_err());
}

#[test]
fn an_imported_contract_keeps_its_source_and_old_encodings_still_decode() {
    let plain = Contract {
        tender: "T-1".into(),
        winner: "Acme Roads Ltd".into(),
        value: 10,
        awarded_day: 20_000,
        ends_day: 20_100,
        documents: vec![[3; 32]],
        source: None,
    };
    let source = ContractSource {
        ocid: "ocds-213czf-000-00001".into(),
        tender_id: "tender-1".into(),
        award_id: "award-1".into(),
        title: "Bridge repair".into(),
        currency: "EUR".into(),
        decimals: 2,
    };
    let imported = Contract {
        source: Some(source.clone()),
        ..plain.clone()
    };
    assert_eq!(Contract::decode(&imported.encode()), Ok(imported.clone()));
    // A contract without a source ends at its documents: a stray byte
    // after them is refused, so each contract has one encoding.
    let mut stray = plain.encode();
    stray.push(0);
    assert!(Contract::decode(&stray).is_err());
    let mut trailing = imported.encode();
    trailing.push(0);
    assert!(Contract::decode(&trailing).is_err());
    for broken in [
        ContractSource {
            currency: "eur".into(),
            ..source.clone()
        },
        ContractSource {
            decimals: 5,
            ..source.clone()
        },
        ContractSource {
            ocid: String::new(),
            ..source.clone()
        },
        ContractSource {
            title: "a\nb".into(),
            ..source.clone()
        },
    ] {
        let contract = Contract {
            source: Some(broken.clone()),
            ..plain.clone()
        };
        assert!(Contract::decode(&contract.encode()).is_err(), "{broken:?}");
    }
}

/// The encoding of a run of `count` chunks continuing the chain at
/// `start`, with placeholder halo2 proofs (the book checks the chain,
/// not the proofs) and `after` commitments derived from `tag`.
fn fake_run(chunk_size: usize, categories: usize, start: ChainStart, tag: u64) -> Vec<u8> {
    fake_chunks(chunk_size, categories, start, tag, 1)
}

fn fake_chunks(
    chunk_size: usize,
    categories: usize,
    start: ChainStart,
    tag: u64,
    count: usize,
) -> Vec<u8> {
    let mut before = start.commitment;
    let chunks = (0..count as u64)
        .map(|i| {
            let after = pallas::Base::from(1000 * tag + i);
            let chunk = ChunkProof {
                before,
                after,
                proof: vec![1],
            };
            before = after;
            chunk
        })
        .collect();
    PeriodProof {
        shape: FundsShape::new(chunk_size, categories).unwrap(),
        chunks,
    }
    .to_bytes()
}

/// A book holding `agency`'s one-category budget for period `"P"` (index
/// 0) and nine expenditures (indices 1 to 9).
fn book_with_nine_items(agency: &ed25519_dalek::SigningKey) -> FundsBook {
    let mut book = FundsBook::new();
    book.apply(0, &signed(agency, BUDGET, one_category_budget().encode()));
    for i in 0..9u8 {
        book.apply(
            1 + u64::from(i),
            &signed(agency, EXPENDITURE, item("P", i + 1)),
        );
    }
    book
}

/// `agency`'s `report.part` of period `"P"` staging `proof` from chunk
/// `first_chunk`.
fn part_record(agency: &ed25519_dalek::SigningKey, first_chunk: u32, proof: Vec<u8>) -> Record {
    signed(
        agency,
        REPORT_PART,
        ReportPart {
            period: "P".into(),
            first_chunk,
            proof,
        }
        .encode(),
    )
}

#[test]
fn large_reports_are_staged_in_parts_that_continue_the_chain() {
    let agency = key(1);
    let budget = one_category_budget();
    let mut book = book_with_nine_items(&agency);
    let key_a = agency.verifying_key();
    let part = |first_chunk, proof| part_record(&agency, first_chunk, proof);
    let start = ChainStart::initial();
    // 9 items: chunks 0 and 1 are full, chunk 2 (one item) is the report's.
    assert_eq!(
        book.check(&part(0, fake_chunks(4, 1, start, 1, 3)))
            .unwrap_err(),
        FundsRuleError::PartBeyondItems
    );
    assert_eq!(
        book.check(&part(0, fake_chunks(16, 1, start, 1, 1)))
            .unwrap_err(),
        FundsRuleError::Proof(FundsError::ShapeMismatch)
    );
    let wrong_start = ChainStart {
        chunk: 0,
        commitment: pallas::Base::from(5),
    };
    assert_eq!(
        book.check(&part(0, fake_run(4, 1, wrong_start, 1)))
            .unwrap_err(),
        FundsRuleError::Proof(FundsError::ChainBroken { chunk: 0 })
    );
    book.apply(10, &part(0, fake_run(4, 1, start, 1)));
    let staged = book.period(&key_a, "P").unwrap().staged_end();
    assert_eq!(staged.chunk, 1);
    // Out of order, or a chain that does not continue chunk 0's.
    assert_eq!(
        book.check(&part(2, fake_run(4, 1, staged, 2))).unwrap_err(),
        FundsRuleError::PartOutOfOrder {
            staged: 1,
            first: 2
        }
    );
    assert_eq!(
        book.check(&part(1, fake_run(4, 1, start, 2))).unwrap_err(),
        FundsRuleError::Proof(FundsError::ChainBroken { chunk: 1 })
    );
    book.apply(11, &part(1, fake_run(4, 1, staged, 2)));
    let staged = book.period(&key_a, "P").unwrap().staged_end();
    assert_eq!(staged.chunk, 2);
    let report = |first_chunk, proof| Report {
        period: "P".into(),
        items: 9,
        first_chunk,
        totals: vec![5],
        final_blinding: [0; 32],
        proof,
    };
    // A report must build on exactly the staged chunks.
    assert_eq!(
        book.check(&signed(
            &agency,
            REPORT,
            report(0, fake_run(4, 1, start, 3)).encode()
        ))
        .unwrap_err(),
        FundsRuleError::PartOutOfOrder {
            staged: 2,
            first: 0
        }
    );
    let tail = report(2, fake_run(4, 1, staged, 3));
    book.apply(12, &signed(&agency, REPORT, tail.encode()));
    let period = book.period(&key_a, "P").unwrap();
    assert_eq!(period.report.as_ref().map(|r| r.0), Some(12));
    assert_eq!(period.full_proof(&tail).unwrap().chunks.len(), 3);
    assert_eq!(period.indices(), (0..=12).collect::<Vec<_>>());
    assert_eq!(
        book.check(&part(0, fake_run(4, 1, start, 4))).unwrap_err(),
        FundsRuleError::PeriodClosed("P".into())
    );

    // Starting over discards the staged parts.
    let mut fresh = FundsBook::new();
    for (index, record) in [
        (0, signed(&agency, BUDGET, budget.encode())),
        (1, signed(&agency, EXPENDITURE, item("P", 1))),
        (2, signed(&agency, EXPENDITURE, item("P", 2))),
        (3, signed(&agency, EXPENDITURE, item("P", 3))),
        (4, signed(&agency, EXPENDITURE, item("P", 4))),
        (5, part(0, fake_run(4, 1, start, 1))),
        (6, part(0, fake_run(4, 1, start, 2))),
    ] {
        fresh.apply(index, &record);
    }
    let period = fresh.period(&key_a, "P").unwrap();
    assert_eq!(period.parts, vec![6]);
    assert_eq!(period.staged.len(), 1);
}

/// `run` (a period-proof encoding) relabelled as proved in `layout`.
fn in_layout(mut run: Vec<u8>, layout: FundsLayout) -> Vec<u8> {
    run[7] = b'0' + layout.version();
    run
}

/// Every layout proves the same statement, but one report keeps to one:
/// the layout its first part (or, unstaged, the report itself) was proved
/// in. Old-layout reports are accepted as before; starting over may change
/// the layout.
#[test]
fn a_report_keeps_to_the_layout_it_began_in() {
    use FundsLayout::{OneHasher, TwoHashers};
    let agency = key(1);
    let mut book = book_with_nine_items(&agency);
    let part = |first_chunk, proof| part_record(&agency, first_chunk, proof);
    let start = ChainStart::initial();
    for layout in [OneHasher, TwoHashers] {
        assert!(
            book.check(&part(0, in_layout(fake_run(4, 1, start, 1), layout)))
                .is_ok()
        );
    }
    book.apply(10, &part(0, in_layout(fake_run(4, 1, start, 1), OneHasher)));
    let period = book.period(&agency.verifying_key(), "P").unwrap();
    assert_eq!(period.staged_layout, Some(OneHasher));
    let staged = period.staged_end();
    assert_eq!(
        book.check(&part(1, in_layout(fake_run(4, 1, staged, 2), TwoHashers)))
            .unwrap_err(),
        FundsRuleError::Proof(FundsError::ShapeMismatch)
    );
    book.apply(
        11,
        &part(1, in_layout(fake_run(4, 1, staged, 2), OneHasher)),
    );
    let staged = book
        .period(&agency.verifying_key(), "P")
        .unwrap()
        .staged_end();
    let report = |layout| {
        signed(
            &agency,
            REPORT,
            Report {
                period: "P".into(),
                items: 9,
                first_chunk: 2,
                totals: vec![5],
                final_blinding: [0; 32],
                proof: in_layout(fake_run(4, 1, staged, 3), layout),
            }
            .encode(),
        )
    };
    assert_eq!(
        book.check(&report(TwoHashers)).unwrap_err(),
        FundsRuleError::Proof(FundsError::ShapeMismatch)
    );
    assert!(book.check(&report(OneHasher)).is_ok());
    // Starting over in the current layout: the report follows it.
    book.apply(
        12,
        &part(0, in_layout(fake_run(4, 1, start, 4), TwoHashers)),
    );
    let period = book.period(&agency.verifying_key(), "P").unwrap();
    assert_eq!(period.staged_layout, Some(TwoHashers));
    let staged = period.staged_end();
    assert_eq!(
        book.check(&part(1, in_layout(fake_run(4, 1, staged, 5), OneHasher)))
            .unwrap_err(),
        FundsRuleError::Proof(FundsError::ShapeMismatch)
    );
}

#[test]
fn contract_categories_cap_payments_over_every_period() {
    let agency = key(1);
    let mut book = FundsBook::new();
    let contract = Contract {
        tender: "T-1".into(),
        winner: "Acme Roads Ltd".into(),
        value: 100,
        awarded_day: 20_000,
        ends_day: 20_400,
        documents: vec![],
        source: None,
    };
    let budget = |period: &str, tender: &str| Budget {
        period: period.into(),
        chunk_size: 4,
        categories: vec![
            Category {
                label: "office".into(),
                appropriation: 1_000,
                contract: None,
            },
            Category {
                label: "bridge".into(),
                appropriation: 1_000,
                contract: Some(tender.into()),
            },
        ],
    };
    assert_eq!(
        book.check(&signed(&agency, BUDGET, budget("Q1", "T-1").encode()))
            .unwrap_err(),
        FundsRuleError::UnknownContract("T-1".into())
    );
    book.apply(0, &signed(&agency, CONTRACT, contract.encode()));
    // A contract bound to two categories of one budget is malformed.
    let mut twice = budget("Q1", "T-1");
    twice.categories[0].contract = Some("T-1".into());
    assert!(matches!(
        Budget::decode(&twice.encode()),
        Err(FundsRuleError::Invalid(_))
    ));
    assert_eq!(
        Budget::decode(&budget("Q1", "T-1").encode()),
        Ok(budget("Q1", "T-1"))
    );
    let report = |period: &str, totals: Vec<u128>| Report {
        period: period.into(),
        items: 0,
        first_chunk: 0,
        totals,
        final_blinding: [0; 32],
        proof: fake_run(4, 2, ChainStart::initial(), 1),
    };
    for (index, period) in [(1, "Q1"), (2, "Q2")] {
        book.apply(
            index,
            &signed(&agency, BUDGET, budget(period, "T-1").encode()),
        );
    }
    let key_a = agency.verifying_key();
    assert_eq!(book.period(&key_a, "Q1").unwrap().indices(), vec![0, 1]);
    // 101 under a contract of 100: refused though within appropriation.
    assert_eq!(
        book.check(&signed(
            &agency,
            REPORT,
            report("Q1", vec![500, 101]).encode()
        ))
        .unwrap_err(),
        FundsRuleError::ContractExceeded {
            category: 1,
            tender: "T-1".into()
        }
    );
    book.apply(
        3,
        &signed(&agency, REPORT, report("Q1", vec![500, 60]).encode()),
    );
    // Q2 may pay only the remaining 40.
    assert_eq!(
        book.check(&signed(&agency, REPORT, report("Q2", vec![0, 41]).encode()))
            .unwrap_err(),
        FundsRuleError::ContractExceeded {
            category: 1,
            tender: "T-1".into()
        }
    );
    book.apply(
        4,
        &signed(&agency, REPORT, report("Q2", vec![0, 40]).encode()),
    );
    let entry = book.contract(&key_a, "T-1").unwrap();
    assert_eq!(entry.paid(), 100);
    assert_eq!(
        entry.payments,
        vec![("Q1".into(), 3, 60), ("Q2".into(), 4, 40)]
    );
}

#[test]
fn audits_open_the_chosen_items_and_a_sample_of_the_others() {
    let request = AuditRequest {
        agency: key(1).verifying_key().to_bytes(),
        period: "P".into(),
        seed_size: 10,
        seed: [7; 32],
        sample: 5,
        chosen: vec![3, 40],
    };
    assert_eq!(AuditRequest::decode(&request.encode()), Ok(request.clone()));
    let positions = request.positions(50).unwrap();
    assert_eq!(positions.len(), 7);
    assert!(positions.contains(&3) && positions.contains(&40));
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    // Reproducible by anyone from the request alone.
    assert_eq!(
        positions,
        audit_positions(&[7; 32], &request.agency, "P", 50, 5, &[3, 40])
    );
    // A small period: every item, once.
    assert_eq!(request.positions(41).unwrap().len(), 7);
    assert_eq!(
        AuditRequest {
            sample: 100,
            ..request.clone()
        }
        .positions(41)
        .unwrap(),
        (0..41).collect::<Vec<_>>()
    );
    // A chosen item beyond the period, unsorted or repeated choices, and
    // an empty request are refused.
    assert!(matches!(
        request.positions(40),
        Err(FundsRuleError::Invalid(_))
    ));
    for (sample, chosen) in [(1, vec![4, 3]), (1, vec![3, 3]), (0, vec![])] {
        let bad = AuditRequest {
            sample,
            chosen,
            ..request.clone()
        };
        assert!(matches!(
            AuditRequest::decode(&bad.encode()),
            Err(FundsRuleError::Invalid(_))
        ));
    }
    // Only chosen items.
    let chosen_only = AuditRequest {
        sample: 0,
        chosen: vec![0, 9],
        ..request
    };
    assert_eq!(chosen_only.positions(10).unwrap(), vec![0, 9]);
}

#[test]
fn samples_are_deterministic_distinct_and_bounded() {
    let a = derive_sample(&[7; 32], &[1; 32], "2027-Q1", 100, 10);
    assert_eq!(a, derive_sample(&[7; 32], &[1; 32], "2027-Q1", 100, 10));
    assert_eq!(a.len(), 10);
    assert!(a.windows(2).all(|w| w[0] < w[1]) && a.iter().all(|&i| i < 100));
    assert_ne!(a, derive_sample(&[8; 32], &[1; 32], "2027-Q1", 100, 10));
    assert_eq!(derive_sample(&[7; 32], &[1; 32], "p", 3, 10), vec![0, 1, 2]);
    assert!(derive_sample(&[7; 32], &[1; 32], "p", 0, 10).is_empty());
}

#[test]
fn audit_requests_naming_a_weak_or_non_canonical_agency_are_refused() {
    use crate::signature::forgery::{IDENTITY_KEY, NON_CANONICAL_KEY, torsion_key};
    for (agency, reason) in [
        (IDENTITY_KEY, "small-order"),
        (NON_CANONICAL_KEY, "canonical"),
        (torsion_key(&key(1)), "torsion"),
    ] {
        let request = AuditRequest {
            agency,
            period: "P".into(),
            seed_size: 10,
            seed: [7; 32],
            sample: 5,
            chosen: vec![3],
        };
        let err = AuditRequest::decode(&request.encode()).unwrap_err();
        assert!(err.to_string().contains(reason), "{err}");
    }
}
