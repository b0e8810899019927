//! Unit tests of the ceremony domain: codecs, and the rules a start, a
//! contribution and the beacon must meet.

use super::*;
use crate::record::{Record, TEST_LOG};
use crate::signature::forgery::NON_CANONICAL_KEY;
use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn start(id: &str, contributors: Vec<[u8; 32]>) -> CeremonyStart {
    CeremonyStart {
        id: id.into(),
        shape: "eligibility-d4-a2".into(),
        phase1: Phase1 {
            name: "pot12.ptau".into(),
            blake2b: [7; 64],
        },
        initial_key: [1; 32],
        contributors,
    }
}

fn step(number: u32, previous_key: [u8; 32], key: [u8; 32]) -> Step {
    Step {
        ceremony: "c1".into(),
        number,
        name: format!("contributor {number}"),
        previous_key,
        key,
        contribution_hash: [number as u8; 64],
    }
}

fn finalisation(number: u32, previous_key: [u8; 32]) -> Finalisation {
    Finalisation {
        step: step(number, previous_key, [0xee; 32]),
        beacon: b"block 123456".to_vec(),
        iterations_exp: 10,
        vk_digest: [0xdd; 32],
    }
}

/// A book fed through `check` then `apply`, as the service does.
struct Log {
    book: CeremonyBook,
    coordinator: SigningKey,
}

impl Log {
    fn new(contributors: Vec<[u8; 32]>) -> Self {
        let mut log = Self {
            book: CeremonyBook::new(),
            coordinator: key(1),
        };
        let record = log.record(START, start("c1", contributors).encode(), 1);
        log.push(record).unwrap();
        log
    }

    fn record(&self, kind: &str, payload: Vec<u8>, signer: u64) -> Record {
        let signer = if signer == 1 {
            self.coordinator.clone()
        } else {
            key(signer)
        };
        Record::signed(TEST_LOG, DOMAIN, kind, 10, payload, &signer).unwrap()
    }

    fn push(&mut self, record: Record) -> CeremonyResult<()> {
        self.book.check(&record)?;
        let index = self.book.applied_up_to();
        self.book.apply(index, &record);
        Ok(())
    }

    fn contribute(&mut self, step: Step, signer: u64) -> CeremonyResult<()> {
        let record = self.record(CONTRIBUTE, step.encode(), signer);
        self.push(record)
    }

    fn ceremony(&self) -> &Ceremony {
        self.book.get("c1").unwrap()
    }
}

#[test]
fn payloads_round_trip_and_refuse_trailing_or_invalid_bytes() {
    let s = start("c1", vec![key(2).verifying_key().to_bytes()]);
    assert_eq!(CeremonyStart::decode(&s.encode()).unwrap(), s);
    let c = step(1, [1; 32], [2; 32]);
    assert_eq!(Step::decode(&c.encode()).unwrap(), c);
    let f = finalisation(2, [2; 32]);
    assert_eq!(Finalisation::decode(&f.encode()).unwrap(), f);
    for bytes in [s.encode(), c.encode(), f.encode()] {
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(CeremonyStart::decode(&longer).is_err());
        assert!(Step::decode(&longer).is_err());
        assert!(Finalisation::decode(&longer).is_err());
    }
}

#[test]
fn malformed_fields_are_refused() {
    let mut bad = start("c1", vec![NON_CANONICAL_KEY]);
    assert!(CeremonyStart::decode(&bad.encode()).is_err(), "weak key");
    let (a, b) = (
        key(2).verifying_key().to_bytes(),
        key(3).verifying_key().to_bytes(),
    );
    bad.contributors = if a < b { vec![b, a] } else { vec![a, b] };
    assert!(CeremonyStart::decode(&bad.encode()).is_err(), "unsorted");
    bad.contributors = vec![a, a];
    assert!(CeremonyStart::decode(&bad.encode()).is_err(), "repeated");
    for name in ["../pot.ptau", ".hidden", "", "a/b"] {
        let mut s = start("c1", Vec::new());
        s.phase1.name = name.into();
        assert!(CeremonyStart::decode(&s.encode()).is_err(), "{name:?}");
    }
    assert!(is_valid_phase1_name("powersOfTau28_hez_final_15.ptau"));
    let mut s = start("Upper", Vec::new());
    assert!(CeremonyStart::decode(&s.encode()).is_err(), "id syntax");
    s = start("c1", Vec::new());
    s.shape = "x y".into();
    assert!(CeremonyStart::decode(&s.encode()).is_err(), "shape syntax");
    let zero = step(0, [1; 32], [2; 32]);
    assert!(Step::decode(&zero.encode()).is_err(), "step 0");
    let mut unnamed = step(1, [1; 32], [2; 32]);
    unnamed.name = "a\nb".into();
    assert!(
        Step::decode(&unnamed.encode()).is_err(),
        "control character"
    );
    for exp in [9, 64] {
        let mut f = finalisation(2, [2; 32]);
        f.iterations_exp = exp;
        assert!(Finalisation::decode(&f.encode()).is_err(), "2^{exp}");
    }
    let mut f = finalisation(2, [2; 32]);
    f.beacon.clear();
    assert!(Finalisation::decode(&f.encode()).is_err(), "empty beacon");
}

#[test]
fn steps_chain_from_the_initial_key_to_the_beacon() {
    let mut log = Log::new(Vec::new());
    assert_eq!(log.ceremony().head(), [1; 32]);
    log.contribute(step(1, [1; 32], [2; 32]), 5).unwrap();
    log.contribute(step(2, [2; 32], [3; 32]), 6).unwrap();
    assert_eq!(log.ceremony().head(), [3; 32]);
    assert_eq!(log.ceremony().next_number(), 3);
    let f = log.record(FINALIZE, finalisation(3, [3; 32]).encode(), 1);
    log.push(f).unwrap();
    let ceremony = log.ceremony();
    assert!(ceremony.is_final());
    assert_eq!(ceremony.head(), [0xee; 32]);
    let keys: Vec<[u8; 32]> = ceremony.contributions.iter().map(|c| c.step.key).collect();
    assert_eq!(
        (
            ceremony.start.initial_key,
            keys,
            ceremony.finalisation.as_ref().map(|(f, _)| f.step.key)
        ),
        ([1; 32], vec![[2; 32], [3; 32]], Some([0xee; 32]))
    );
    assert_eq!(
        ceremony.contributions[1].signer,
        key(6).verifying_key(),
        "the contributor's key is logged as the record's author"
    );
    assert_eq!(
        log.contribute(step(4, [0xee; 32], [5; 32]), 5),
        Err(CeremonyError::Finalised("c1".into()))
    );
    // With the first ceremony closed, the shape may have another.
    let again = log.record(START, start("c2", Vec::new()).encode(), 9);
    log.push(again).unwrap();
}

#[test]
fn stale_misnumbered_and_uninvited_steps_are_refused() {
    let invited = key(5).verifying_key().to_bytes();
    let mut log = Log::new(vec![invited]);
    assert_eq!(
        log.contribute(step(1, [1; 32], [2; 32]), 6),
        Err(CeremonyError::NotInvited("c1".into()))
    );
    log.contribute(step(1, [1; 32], [2; 32]), 5).unwrap();
    // Two contributors built on the initial key; the second one is stale.
    assert_eq!(
        log.contribute(step(2, [1; 32], [9; 32]), 5),
        Err(CeremonyError::StaleKey("c1".into()))
    );
    assert_eq!(
        log.contribute(step(1, [1; 32], [9; 32]), 5),
        Err(CeremonyError::WrongNumber {
            ceremony: "c1".into(),
            expected: 2,
            got: 1
        })
    );
    let mut other = step(2, [2; 32], [3; 32]);
    other.ceremony = "nope".into();
    assert_eq!(
        log.contribute(other, 5),
        Err(CeremonyError::Unknown("nope".into()))
    );
    // A refused record changes nothing, even when applied blindly.
    let stale = log.record(CONTRIBUTE, step(2, [1; 32], [9; 32]).encode(), 5);
    log.book.apply(99, &stale);
    assert_eq!(log.ceremony().contributions.len(), 1);
}

#[test]
fn only_the_coordinator_finalises_and_only_after_a_contribution() {
    let mut log = Log::new(Vec::new());
    let early = log.record(FINALIZE, finalisation(1, [1; 32]).encode(), 1);
    assert_eq!(
        log.push(early),
        Err(CeremonyError::NoContribution("c1".into()))
    );
    log.contribute(step(1, [1; 32], [2; 32]), 5).unwrap();
    let usurper = log.record(FINALIZE, finalisation(2, [2; 32]).encode(), 5);
    assert_eq!(
        log.push(usurper),
        Err(CeremonyError::NotCoordinator("c1".into()))
    );
    let unsigned = Record::unsigned(
        TEST_LOG,
        DOMAIN,
        CONTRIBUTE,
        10,
        step(2, [2; 32], [3; 32]).encode(),
    )
    .unwrap();
    assert_eq!(log.push(unsigned), Err(CeremonyError::Unsigned));
}

#[test]
fn one_open_ceremony_per_shape_and_unique_ids() {
    let mut log = Log::new(Vec::new());
    let same_id = log.record(START, start("c1", Vec::new()).encode(), 1);
    assert_eq!(log.push(same_id), Err(CeremonyError::Exists("c1".into())));
    let same_shape = log.record(START, start("c2", Vec::new()).encode(), 1);
    assert_eq!(
        log.push(same_shape),
        Err(CeremonyError::ShapeBusy {
            shape: "eligibility-d4-a2".into(),
            open: "c1".into()
        })
    );
    assert_eq!(step_key("c1", 2), b"c1\0\0\0\0\x02".to_vec());
}
