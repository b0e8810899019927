//! A whole election, logged in a test log and checked offline: the honest
//! bundle verifies with the right counts, a cheating trustee is identified
//! and skipped, and an omitted ballot, a forged ballot proof, a wrong tally
//! or a changed byte make verification fail with the reason. With
//! re-voting, the last ballot per voter counts, a tally over a superseded
//! ballot fails, and a ballot the log hides from its seal, its tally and
//! its bundle is exposed by the voter's receipt and by a mirror.
//!
//! The test log accepts anything (it does not run the service's checks), so
//! it can hold what the service would refuse: the offline verifier has to
//! catch it on its own.

mod common;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{LOG_ORIGIN, TestLog, test_rng};
use ed25519_dalek::SigningKey;
use zkaudit_circuits::ballot::constraints::BallotCircuit;
use zkaudit_circuits::ballot::{BallotShape, BallotWitness, encrypt_ballot};
use zkaudit_circuits::elgamal::{Scalar, public_key, random_scalar};
use zkaudit_circuits::eligibility::{EligibilityWitness, credential_leaf};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_circuits::threshold::decrypt::{decrypt_tally, partial_decrypt};
use zkaudit_circuits::threshold::dkg::{DealerSecret, deal, key_share, qualify};
use zkaudit_circuits::threshold::dlog::DlogTable;
use zkaudit_ledger::authority::{AUTHORITY_SET_KIND, Authority, AuthoritySet, LEDGER_DOMAIN};
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::election::{
    self, Ballot, BallotStatement, Contest, DealRecord, DecryptRecord, ElectionKey, ElectionSpec,
    OpenedOption, Phase, PhaseChange, SealRecord, SpoiledBallot, TallyRecord, TrusteeSpec,
    ballot_leaf, ballot_statement,
};
use zkaudit_ledger::identity::{self, CircuitKey, RegistryRoot, RegistrySpec};
use zkaudit_ledger::merkle::root_from_leaves;
use zkaudit_ledger::record::Record;
use zkaudit_verifier::VerifyError;
use zkaudit_verifier::election::{
    ELECTION_BUNDLE_FORMAT, ElectionBundle, ElectionReport, OptionResult, ProofShare,
    ReceiptStanding,
};
use zkaudit_verifier::groth16::{encode_proof, encode_vk, vk_digest};

const T: u64 = 1_795_000_000_000;
const VOTES: [[u64; 2]; 5] = [[1, 0], [0, 1], [1, 0], [1, 0], [0, 0]];

/// The votes of an election of two contests (`Faults::contests`): the
/// question as in [`VOTES`], then points for parks and roads (up to 3
/// each, 4 in all).
const CONTEST_VOTES: [[u64; 4]; 5] = [
    [1, 0, 3, 1],
    [0, 1, 2, 2],
    [1, 0, 0, 0],
    [1, 0, 1, 3],
    [0, 0, 0, 0],
];

/// What the scenario gets wrong.
#[derive(Default, Clone, Copy)]
struct Faults {
    /// Trustee 3 publishes a partial decryption with a wrong share.
    cheating_trustee: bool,
    /// The last ballot's proof is for other ciphertexts (its own, swapped).
    forged_ballot: bool,
    /// The tally record claims one vote moved between the options.
    wrong_tally: bool,
    /// Voter 0 votes again ("no"); the election allows re-voting unless
    /// `one_ballot_per_voter`.
    revote: bool,
    /// The election does not allow re-voting (a lax log logs the second
    /// ballot anyway; the rules skip it).
    one_ballot_per_voter: bool,
    /// The log tallies every cast ballot, the superseded one too.
    counts_superseded: bool,
    /// The log logs the last ballot, then leaves it out of its seal, its
    /// tally and the bundle.
    hides_last_ballot: bool,
    /// Voter 4's client publishes the ballot it prepared as spoiled
    /// (opened), then a lax log takes the same ciphertexts as a ballot.
    casts_spoiled: bool,
    /// Not a fault: the registry logs its (unchanged) root again, as a
    /// later version, after the ballots.
    root_logged_again: bool,
    /// Not a fault: the election has two contests (the question, then a
    /// cumulative budget vote), ballot statement v2.
    contests: bool,
    /// Not a fault: with `contests`, ballot statement v3: the circuit made
    /// for the election's joint key, its key logged after the joint key.
    keyed: bool,
    /// With `keyed`: the only ballot key logged is made for another joint
    /// key (another election of the same contests).
    foreign_keyed_circuit: bool,
    /// Voter 4's ballot is stamped after `closes_at_ms` (a lax log takes
    /// it; the rules skip it).
    late_ballot: bool,
    /// The lax log also seals and tallies the late ballot.
    counts_late_ballot: bool,
    /// The commission's opening is stamped a second before the election's
    /// `opens_at_ms` (a lax log takes it; the rules skip it).
    opened_early: bool,
    /// The registry is created by a key no authority set names.
    registry_by_stranger: bool,
    /// The registry has three attributes for the election's two predicates.
    registry_of_three_attributes: bool,
    /// The registry's window is 1 change or 1 hour; the root the ballots
    /// use is logged two hours before them, and another root this long
    /// before them.
    newer_root_age_ms: Option<u64>,
}

impl Faults {
    /// Each voter's values, in order, then voter 0's re-vote if any.
    fn casts(&self) -> Vec<(usize, Vec<u64>)> {
        let votes: Vec<Vec<u64>> = if self.contests {
            CONTEST_VOTES.iter().map(|v| v.to_vec()).collect()
        } else {
            VOTES.iter().map(|v| v.to_vec()).collect()
        };
        let revote = if self.contests {
            CONTEST_REVOTE.to_vec()
        } else {
            REVOTE.to_vec()
        };
        votes
            .into_iter()
            .enumerate()
            .chain(self.revote.then_some((0, revote)))
            .collect()
    }
}

/// Voter 0's second ballot, when re-voting.
const REVOTE: [u64; 2] = [0, 1];

/// Voter 0's second ballot in an election of contests.
const CONTEST_REVOTE: [u64; 4] = [0, 1, 0, 3];

struct Scenario {
    log: TestLog,
    ballots: Vec<u64>,
    tally: u64,
    seal: u64,
    /// Log indices the bundle leaves out (the hidden ballot).
    hidden: Vec<u64>,
    /// Where voter 4's spoiled ballot is logged.
    spoiled: Option<u64>,
}

fn record(
    kind: &str,
    t: u64,
    payload: Vec<u8>,
    key: &impl zkaudit_ledger::record::RecordSigner,
) -> Record {
    Record::signed(LOG_ORIGIN, election::DOMAIN, kind, t, payload, key).unwrap()
}

fn scenario(faults: Faults) -> Scenario {
    let mut rng = test_rng(7);
    let mut log = TestLog::new(3);
    let registry_key = SigningKey::from_bytes(&[1; 32]);
    let commission = SigningKey::from_bytes(&[2; 32]);
    let set = AuthoritySet::new(vec![
        Authority {
            name: "civil-registry".into(),
            key: registry_key.verifying_key(),
            grants: vec!["identity/*".into()],
        },
        Authority {
            name: "election-commission".into(),
            key: commission.verifying_key(),
            grants: vec!["election/*".into()],
        },
    ])
    .unwrap();
    log.push(
        &Record::signed(
            LOG_ORIGIN,
            LEDGER_DOMAIN,
            AUTHORITY_SET_KIND,
            T,
            set.encode(),
            &log.key,
        )
        .unwrap(),
    );

    // The voters' registry and its root.
    let mut attribute_names = vec!["birth_date".to_owned(), "region".to_owned()];
    if faults.registry_of_three_attributes {
        attribute_names.push("district".into());
    }
    let spec = RegistrySpec {
        id: "voters".into(),
        title: "Voters".into(),
        attributes: attribute_names,
        depth: 4,
        window_changes: if faults.newer_root_age_ms.is_some() {
            1
        } else {
            8
        },
        window_secs: 3600,
    };
    let registrar = if faults.registry_by_stranger {
        SigningKey::from_bytes(&[9; 32])
    } else {
        registry_key.clone()
    };
    log.push(
        &Record::signed(
            LOG_ORIGIN,
            identity::DOMAIN,
            identity::REGISTRY_CREATE,
            T,
            spec.encode(),
            &registrar,
        )
        .unwrap(),
    );
    let voters: Vec<Identity> = (0..VOTES.len())
        .map(|_| Identity::random(&mut rng))
        .collect();
    let attributes = vec![19_900_101, 4];
    let mut tree = LeanImt::new();
    for voter in &voters {
        tree.insert(credential_leaf(voter.commitment(), &attributes).unwrap());
    }
    let root = tree.root().unwrap();
    let root_record = |version: u64, root: [u8; 32], t: u64| {
        Record::signed(
            LOG_ORIGIN,
            identity::DOMAIN,
            identity::REGISTRY_ROOT,
            t,
            RegistryRoot {
                registry: spec.id.clone(),
                version,
                size: voters.len() as u64,
                root,
                change_index: 1,
            }
            .encode(),
            &log.key,
        )
        .unwrap()
    };
    let (first_root, root_again) = (
        root_record(
            voters.len() as u64,
            fr_to_bytes(&root),
            T - if faults.newer_root_age_ms.is_some() {
                2 * 3_600_000
            } else {
                0
            },
        ),
        root_record(voters.len() as u64 + 1, fr_to_bytes(&root), T),
    );
    let newer_root = faults.newer_root_age_ms.map(|age| {
        let other_root = fr_to_bytes(&ark_bn254::Fr::from(42u64));
        root_record(voters.len() as u64 + 1, other_root, T - age)
    });
    log.push(&first_root);
    if let Some(newer_root) = &newer_root {
        log.push(newer_root);
    }

    // Trustees and the election.
    let trustee_signing: Vec<SigningKey> = (0..3)
        .map(|i| SigningKey::from_bytes(&[10 + i; 32]))
        .collect();
    let trustee_secrets: Vec<Scalar> = (0..3).map(|_| random_scalar(&mut rng)).collect();
    let election_spec = ElectionSpec {
        id: "referendum".into(),
        title: "Referendum".into(),
        statement: if faults.keyed {
            BallotStatement::KeyedContests
        } else if faults.contests {
            BallotStatement::Contests
        } else {
            BallotStatement::Choices
        },
        contests: if faults.contests {
            vec![
                Contest {
                    title: "Question".into(),
                    ..Contest::choices(vec!["yes".into(), "no".into()], 0, 1)
                },
                Contest {
                    title: "Budget".into(),
                    options: vec!["parks".into(), "roads".into()],
                    min: 0,
                    max: 4,
                    limit: 3,
                },
            ]
        } else {
            vec![Contest::choices(vec!["yes".into(), "no".into()], 0, 1)]
        },
        registry: spec.id.clone(),
        predicates: vec![
            AttributePredicate::at_most(20_081_123),
            AttributePredicate::equals(4),
        ],
        trustees: (0..3)
            .map(|i| TrusteeSpec {
                name: format!("trustee-{}", i + 1),
                signing_key: trustee_signing[i].verifying_key(),
                encryption_key: public_key(&trustee_secrets[i]),
            })
            .collect(),
        threshold: 2,
        opens_at_ms: T,
        closes_at_ms: T + 1_000_000,
        circuit_key: None,
        revoting: faults.revote && !faults.one_ballot_per_voter,
    };
    // The ballot circuit's key: a v1 or v2 election's before its creation,
    // a v3 election's once its joint key is logged.
    let ballot_key = |shape: BallotShape, log: &TestLog, rng: &mut rand_chacha::ChaCha20Rng| {
        let (pk, vk) =
            Groth16::<Bn254>::circuit_specific_setup(BallotCircuit::blank(shape), rng).unwrap();
        let circuit_key = CircuitKey {
            shape: shape.id(),
            vk_digest: vk_digest(&vk),
            vk: encode_vk(&vk),
            development: true,
            ceremony: None,
        };
        let logged = Record::signed(
            LOG_ORIGIN,
            identity::DOMAIN,
            identity::CIRCUIT_KEY,
            T,
            circuit_key.encode(),
            &log.key,
        )
        .unwrap();
        (pk, circuit_key, logged)
    };
    let mut ballot_keys = None;
    if !faults.keyed {
        let shape = election_spec.ballot_shape(4, None).unwrap();
        let (pk, circuit_key, logged) = ballot_key(shape, &log, &mut rng);
        log.push(&logged);
        ballot_keys = Some((shape, pk, circuit_key));
    }
    log.push(&record(
        election::CREATE,
        T,
        election_spec.encode(),
        &commission,
    ));
    let phase = |phase| {
        PhaseChange {
            election: election_spec.id.clone(),
            phase,
        }
        .encode()
    };
    log.push(&record(
        election::PHASE,
        T,
        phase(Phase::KeyCeremony),
        &commission,
    ));

    // The ceremony.
    let params = election_spec.params().unwrap();
    let context = election_spec.context();
    let keys = election_spec.trustee_keys();
    let dealings: Vec<_> = (1..=3u32)
        .map(|i| {
            let secret = DealerSecret::random(&params, &mut rng);
            deal(&params, &context, i, &secret, &keys, &mut rng).unwrap()
        })
        .collect();
    for (i, dealing) in dealings.iter().enumerate() {
        let payload = DealRecord {
            election: election_spec.id.clone(),
            dealing: dealing.clone(),
        }
        .encode();
        log.push(&record(election::DEAL, T, payload, &trustee_signing[i]));
    }
    let opened_ms = if faults.opened_early { T - 1000 } else { T };
    log.push(&record(
        election::PHASE,
        opened_ms,
        phase(Phase::Open),
        &commission,
    ));
    let qualification = qualify(&context, &params, &keys, &dealings, &[]).unwrap();
    let joint_key = qualification.joint_public_key();
    let key = ElectionKey {
        election: election_spec.id.clone(),
        qualified: qualification.qualified().to_vec(),
        joint_key,
    };
    log.push(&record(election::KEY, T, key.encode(), &log.key));
    let (shape, pk, circuit_key) = ballot_keys.unwrap_or_else(|| {
        let shape = election_spec.ballot_shape(4, Some(&joint_key)).unwrap();
        let logged_shape = if faults.foreign_keyed_circuit {
            shape
                .for_election_key(public_key(&Scalar::from(77u64)))
                .unwrap()
        } else {
            shape
        };
        let (pk, circuit_key, logged) = ballot_key(logged_shape, &log, &mut rng);
        log.push(&logged);
        (shape, pk, circuit_key)
    });

    // Ballots, stamped when logged (the late one after the close).
    let ballot_stamp = |position: usize| {
        if faults.late_ballot && position == VOTES.len() - 1 {
            election_spec.closes_at_ms + 1
        } else {
            T
        }
    };
    let mut ballots = Vec::new();
    let mut logged = Vec::new();
    let mut voted: Vec<usize> = Vec::new();
    let mut spoiled_at = None;
    let options = election_spec.option_count();
    for (v, choices) in faults.casts() {
        let voter = &voters[v];
        let randomness: Vec<Scalar> = (0..options).map(|_| random_scalar(&mut rng)).collect();
        let ciphertexts = encrypt_ballot(&joint_key, &choices, &randomness).unwrap();
        let witness_randomness = randomness.clone();
        let mut ballot = Ballot {
            election: election_spec.id.clone(),
            root: fr_to_bytes(&root),
            nullifier: fr_to_bytes(&voter.nullifier(election_spec.scope_field())),
            ciphertexts,
            vk_digest: circuit_key.vk_digest,
            proof: Vec::new(),
        };
        let public = ballot_statement(&election_spec, shape, &ballot, joint_key).unwrap();
        let witness = BallotWitness {
            eligibility: EligibilityWitness {
                secret: voter.secret_scalar(),
                attributes: attributes.clone(),
                path: tree.generate_proof(v).unwrap().to_circuit_path(4).unwrap(),
            },
            choices: choices.to_vec(),
            randomness,
        };
        let proof =
            Groth16::<Bn254>::prove(&pk, BallotCircuit::new(public, witness), &mut rng).unwrap();
        ballot.proof = encode_proof(&proof).to_vec();
        if faults.forged_ballot && v == VOTES.len() - 1 && voted.len() == v {
            // Keep the proof, swap the ciphertexts it was made for.
            ballot.ciphertexts.swap(0, 1);
        }
        if faults.casts_spoiled && v == VOTES.len() - 1 {
            let spoiled = SpoiledBallot {
                election: election_spec.id.clone(),
                options: choices
                    .iter()
                    .zip(&ballot.ciphertexts)
                    .zip(&witness_randomness)
                    .map(|((&choice, &ciphertext), &randomness)| OpenedOption {
                        choice: choice as u8,
                        randomness,
                        ciphertext,
                    })
                    .collect(),
            };
            spoiled_at = Some(
                log.push(
                    &Record::unsigned(
                        LOG_ORIGIN,
                        election::DOMAIN,
                        election::SPOILED,
                        T,
                        spoiled.encode(),
                    )
                    .unwrap(),
                ),
            );
        }
        let index = log.push(
            &Record::unsigned(
                LOG_ORIGIN,
                election::DOMAIN,
                election::BALLOT,
                ballot_stamp(logged.len()),
                ballot.encode(),
            )
            .unwrap(),
        );
        logged.push(index);
        ballots.push(ballot);
        voted.push(v);
    }
    if faults.root_logged_again {
        log.push(&root_again);
    }
    log.push(&record(
        election::PHASE,
        T,
        phase(Phase::Closed),
        &commission,
    ));

    // The log seals the ballots it admits to; a dishonest one hides the last.
    let hidden: Vec<u64> = if faults.hides_last_ballot {
        vec![*logged.last().unwrap()]
    } else {
        Vec::new()
    };
    let skipped_by_rules = |i: usize| {
        (faults.one_ballot_per_voter && (0..i).any(|j| voted[j] == voted[i]))
            || (faults.casts_spoiled && i == VOTES.len() - 1)
            || (faults.late_ballot && !faults.counts_late_ballot && i == VOTES.len() - 1)
    };
    let sealed: Vec<usize> = (0..logged.len())
        .filter(|&i| !hidden.contains(&logged[i]) && !skipped_by_rules(i))
        .collect();
    let counted: Vec<usize> = sealed
        .iter()
        .copied()
        .filter(|&i| {
            faults.counts_superseded
                || !faults.revote
                || !sealed.iter().any(|&j| j > i && voted[j] == voted[i])
        })
        .collect();
    let leaves: Vec<_> = sealed
        .iter()
        .map(|&i| {
            let record = Record::unsigned(
                LOG_ORIGIN,
                election::DOMAIN,
                election::BALLOT,
                ballot_stamp(i),
                ballots[i].encode(),
            )
            .unwrap();
            ballot_leaf(logged[i], &record.id())
        })
        .collect();
    let seal = log.push(&record(
        election::SEAL,
        T,
        SealRecord {
            election: election_spec.id.clone(),
            cast: sealed.len() as u64,
            counted: counted.len() as u64,
            ballots_root: root_from_leaves(&leaves),
        }
        .encode(),
        &log.key,
    ));

    // Decryption by all three trustees; trustee 3 may cheat.
    let sums = zkaudit_circuits::elgamal::sum_ballots(
        &counted
            .iter()
            .map(|&i| ballots[i].ciphertexts.clone())
            .collect::<Vec<_>>(),
        options,
    )
    .unwrap();
    let mut partials = Vec::new();
    for j in 1..=3u32 {
        let share = key_share(
            &context,
            &params,
            &qualification,
            &dealings,
            j,
            &trustee_secrets[j as usize - 1],
        )
        .unwrap();
        let mut mine: Vec<_> = (0..options as u32)
            .map(|o| partial_decrypt(&context, o, &share, &sums[o as usize], &mut rng))
            .collect();
        if faults.cheating_trustee && j == 3 {
            mine[0].share = mine[0].share + zkaudit_circuits::babyjubjub::BASE8;
        }
        let payload = DecryptRecord {
            election: election_spec.id.clone(),
            partials: mine.clone(),
        }
        .encode();
        log.push(&record(
            election::DECRYPT,
            T,
            payload,
            &trustee_signing[j as usize - 1],
        ));
        partials.extend(mine);
    }
    let table = DlogTable::new(counted.len() as u64 * election_spec.max_points()).unwrap();
    let tally = decrypt_tally(
        &context,
        &params,
        &qualification.verification_keys(),
        &sums,
        &partials,
        &table,
    )
    .unwrap();
    let mut counts = tally.counts.clone();
    if faults.wrong_tally {
        counts[0] -= 1;
        counts[1] += 1;
    }
    let tally_index = log.push(&record(
        election::TALLY,
        T,
        TallyRecord {
            election: election_spec.id.clone(),
            ballots: counted.len() as u64,
            counts,
            used: tally.used.clone(),
            rejected: tally.rejected.iter().map(|r| r.trustee).collect(),
        }
        .encode(),
        &log.key,
    ));
    Scenario {
        log,
        ballots: logged,
        tally: tally_index,
        seal,
        hidden,
        spoiled: spoiled_at,
    }
}

/// Why the whole bundle of the scenario with `faults` is refused.
fn refused(faults: Faults) -> VerifyError {
    let s = scenario(faults);
    bundle(&s, &[]).verify(&s.log.vkey()).unwrap_err()
}

fn bundle(s: &Scenario, leave_out: &[u64]) -> ElectionBundle {
    let indices: Vec<u64> = (0..=s.tally)
        .filter(|i| !leave_out.contains(i) && !s.hidden.contains(i))
        .collect();
    ElectionBundle {
        format: ELECTION_BUNDLE_FORMAT.to_owned(),
        election: "referendum".into(),
        evidence: s.log.evidence(&indices),
    }
}

#[test]
fn an_honest_election_verifies_offline_with_its_counts() {
    let s = scenario(Faults::default());
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!(report.phase, Phase::Tallied);
    assert_eq!(report.ballots, 5);
    assert_eq!(report.skipped, 0);
    assert_eq!(
        report.results,
        vec![("yes".into(), Some(3)), ("no".into(), Some(1))]
    );
    assert_eq!(report.trustees_used, vec![1, 2]);
    assert!(report.trustees_rejected.is_empty());
    assert_eq!(report.commission, "election-commission");
}

#[test]
fn a_root_logged_again_after_the_ballots_still_dates_them() {
    // The ballots used the root's first logging; a later logging of the
    // same root does not make them "use a root logged after them".
    let s = scenario(Faults {
        root_logged_again: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!(
        report.results,
        vec![("yes".into(), Some(3)), ("no".into(), Some(1))]
    );
}

#[test]
fn a_cheating_trustee_is_identified_and_the_tally_still_verifies() {
    let s = scenario(Faults {
        cheating_trustee: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!(
        report.results,
        vec![("yes".into(), Some(3)), ("no".into(), Some(1))]
    );
    assert_eq!(report.trustees_rejected, vec![3]);
}

#[test]
fn a_ballot_whose_proof_does_not_match_is_caught() {
    let s = scenario(Faults {
        forged_ballot: true,
        ..Faults::default()
    });
    let err = bundle(&s, &[]).verify(&s.log.vkey()).unwrap_err();
    assert!(matches!(err, VerifyError::Groth16 { .. }), "{err}");
    assert!(err.to_string().contains(&s.ballots[4].to_string()), "{err}");
}

#[test]
fn a_check_split_into_parts_holds_only_where_every_part_does() {
    // Contiguous parts cover every ballot exactly once, for any split.
    for len in 0..130 {
        for parts in 1..9 {
            let covered: Vec<usize> = (0..parts)
                .flat_map(|part| ProofShare::new(part, parts).unwrap().range(len))
                .collect();
            assert_eq!(covered, (0..len).collect::<Vec<_>>(), "{len} in {parts}");
        }
    }
    assert!(ProofShare::new(3, 3).is_none());

    let honest = scenario(Faults::default());
    let key = honest.log.vkey();
    for part in 0..3 {
        let share = ProofShare::new(part, 3).unwrap();
        let report = bundle(&honest, &[]).verify_share(&key, 1, share).unwrap();
        assert_eq!(report.proof_share, share);
    }
    // Five ballots in three parts: 1, 2 and 2; the forged fifth is the
    // last part's, which alone fails, naming it.
    let forged = scenario(Faults {
        forged_ballot: true,
        ..Faults::default()
    });
    let b = bundle(&forged, &[]);
    let key = forged.log.vkey();
    for part in 0..2 {
        b.verify_share(&key, 1, ProofShare::new(part, 3).unwrap())
            .unwrap();
    }
    let err = b
        .verify_share(&key, 1, ProofShare::new(2, 3).unwrap())
        .unwrap_err();
    assert!(matches!(err, VerifyError::Groth16 { .. }), "{err}");
    assert!(
        err.to_string().contains(&forged.ballots[4].to_string()),
        "{err}"
    );
}

#[test]
fn a_tally_that_is_not_the_decryption_is_caught() {
    let err = refused(Faults {
        wrong_tally: true,
        ..Faults::default()
    });
    assert!(err.to_string().contains("tally"), "{err}");
}

/// The labels and counts per contest, as the report groups them.
/// Each contest's title with its options' results.
type ContestResults = Vec<(String, Vec<OptionResult>)>;

fn results_by_contest(report: &ElectionReport) -> ContestResults {
    report
        .results_by_contest()
        .into_iter()
        .map(|(contest, results)| (contest.title.clone(), results.to_vec()))
        .collect()
}

fn contest_results(question: [u64; 2], budget: [u64; 2]) -> ContestResults {
    let results = |labels: [&str; 2], counts: [u64; 2]| {
        labels
            .into_iter()
            .zip(counts)
            .map(|(label, count)| (label.to_owned(), Some(count)))
            .collect()
    };
    vec![
        ("Question".into(), results(["yes", "no"], question)),
        ("Budget".into(), results(["parks", "roads"], budget)),
    ]
}

/// Two contests on one ballot under one proof: a 0/1 question and a
/// cumulative budget vote (up to 3 points per option, 4 in all), tallied
/// per contest; with re-voting, the last ballot counts in both contests.
#[test]
fn an_election_of_contests_verifies_with_results_per_contest() {
    let s = scenario(Faults {
        contests: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!(report.ballots, 5);
    assert_eq!(
        report.replayed.spec.ballot_shape(4, None).unwrap().id(),
        "ballot-d4-a2-c2-c2"
    );
    // Points: parks 3 + 2 + 0 + 1, roads 1 + 2 + 0 + 3.
    assert_eq!(results_by_contest(&report), contest_results([3, 1], [6, 6]));

    let s = scenario(Faults {
        contests: true,
        revote: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!((report.cast, report.ballots), (6, 5));
    // Voter 0's [yes, 3 parks, 1 road] is replaced by [no, 3 roads].
    assert_eq!(results_by_contest(&report), contest_results([2, 2], [3, 8]));
}

/// Statement v3: the ballot circuit made for the joint key, its key logged
/// after the joint key under a shape id naming it. An honest election
/// verifies with the same results as v2; a forged ballot is caught; a key
/// made for another joint key does not serve.
#[test]
fn an_election_whose_circuit_is_made_for_its_key_verifies_and_is_held_to_it() {
    let keyed = Faults {
        contests: true,
        keyed: true,
        ..Faults::default()
    };
    let s = scenario(keyed);
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!(report.ballots, 5);
    let joint_key = report.replayed.key.as_ref().unwrap().joint_key;
    let shape = report
        .replayed
        .spec
        .ballot_shape(4, Some(&joint_key))
        .unwrap();
    assert_eq!(shape.version(), 3);
    assert!(shape.id().starts_with("ballot-d4-a2-c2-c2-k"), "{shape}");
    assert_eq!(results_by_contest(&report), contest_results([3, 1], [6, 6]));
    assert!(report.vk_digest.is_some());

    // Up to the opening, before the joint key: no circuit yet, no ballot,
    // and nothing wrong.
    let (key_at, first_ballot) = (s.ballots[0] - 2, s.ballots[0]);
    let before_key: Vec<u64> = (key_at..=s.tally).collect();
    let report = bundle(&s, &before_key).verify(&s.log.vkey()).unwrap();
    assert_eq!((report.phase, report.cast), (Phase::Open, 0));
    assert_eq!(report.vk_digest, None);
    // With the joint key but without the circuit key logged after it, the
    // bundle lacks what the ballots need.
    let without_circuit_key = bundle(&s, &[first_ballot - 1]).verify(&s.log.vkey());
    let err = without_circuit_key.unwrap_err().to_string();
    assert!(err.contains("lacks the logged key"), "{err}");

    let err = refused(Faults {
        forged_ballot: true,
        ..keyed
    });
    assert!(matches!(err, VerifyError::Groth16 { .. }), "{err}");
    // A key logged for another joint key's circuit is not this election's:
    // the shape id names the key.
    let err = refused(Faults {
        foreign_keyed_circuit: true,
        ..keyed
    });
    assert!(
        err.to_string()
            .contains(&format!("lacks the logged key of {shape}")),
        "{err}"
    );
}

#[test]
fn in_an_election_of_contests_a_forged_ballot_or_a_false_tally_is_caught() {
    let err = refused(Faults {
        contests: true,
        forged_ballot: true,
        ..Faults::default()
    });
    assert!(matches!(err, VerifyError::Groth16 { .. }), "{err}");
    let err = refused(Faults {
        contests: true,
        wrong_tally: true,
        ..Faults::default()
    });
    assert!(err.to_string().contains("tally"), "{err}");
}

#[test]
fn a_bundle_that_leaves_out_a_ballot_or_changes_a_byte_fails() {
    let s = scenario(Faults::default());
    let err = bundle(&s, &[s.ballots[1]])
        .verify(&s.log.vkey())
        .unwrap_err();
    assert!(err.to_string().contains("ballots"), "{err}");

    let honest = bundle(&s, &[]);
    for entry in 0..honest.evidence.entries.len() {
        let mut tampered = honest.clone();
        let e = &mut tampered.evidence.entries[entry];
        let mut bytes = BASE64.decode(&e.record).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        e.record = BASE64.encode(&bytes);
        assert!(
            tampered.verify(&s.log.vkey()).is_err(),
            "entry {entry} changed yet verified"
        );
    }
}

fn standing(
    s: &Scenario,
    report: &zkaudit_verifier::election::ElectionReport,
    index: u64,
) -> ReceiptStanding {
    let receipt = s.log.receipt(index).verify(&s.log.vkey()).unwrap();
    report.standing(&receipt).unwrap()
}

#[test]
fn with_revoting_the_last_ballot_counts_and_each_receipt_says_where_it_stands() {
    let s = scenario(Faults {
        revote: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert!(report.revoting);
    assert_eq!((report.cast, report.ballots), (6, 5));
    // Voter 0's "yes" is replaced by "no".
    assert_eq!(
        report.results,
        vec![("yes".into(), Some(2)), ("no".into(), Some(2))]
    );
    let seal = report.seal.as_ref().expect("sealed at the close");
    assert_eq!((seal.cast, seal.counted), (6, 5));
    let (first, last) = (s.ballots[0], s.ballots[5]);
    assert_eq!(
        standing(&s, &report, first),
        ReceiptStanding::Superseded {
            index: first,
            by: last
        }
    );
    assert_eq!(
        standing(&s, &report, last),
        ReceiptStanding::Counts { index: last }
    );
    assert_eq!(
        standing(&s, &report, s.ballots[1]),
        ReceiptStanding::Counts {
            index: s.ballots[1]
        }
    );
    // A mirror of the whole log agrees with the bundle.
    let comparison = report.compare_with_log(&s.log.entries()).unwrap();
    assert_eq!(comparison.ballots, 6);
}

#[test]
fn a_bundle_that_drops_the_latest_ballot_or_a_tally_that_counts_a_superseded_one_fails() {
    let s = scenario(Faults {
        revote: true,
        ..Faults::default()
    });
    // Without the re-vote the replay counts voter 0's first ballot; the
    // seal still names six cast ballots.
    let err = bundle(&s, &[s.ballots[5]])
        .verify(&s.log.vkey())
        .unwrap_err();
    assert!(err.to_string().contains("sealed 6 cast ballots"), "{err}");

    let err = refused(Faults {
        revote: true,
        counts_superseded: true,
        ..Faults::default()
    });
    assert!(err.to_string().contains("counted"), "{err}");
}

#[test]
fn without_revoting_a_second_ballot_is_skipped_and_the_first_counts() {
    let s = scenario(Faults {
        revote: true,
        one_ballot_per_voter: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert!(!report.revoting);
    assert_eq!((report.cast, report.ballots, report.skipped), (5, 5, 1));
    assert_eq!(
        report.results,
        vec![("yes".into(), Some(3)), ("no".into(), Some(1))]
    );
    // The second ballot is in the record, and no replayer counts it.
    assert_eq!(
        standing(&s, &report, s.ballots[5]),
        ReceiptStanding::Skipped {
            index: s.ballots[5]
        }
    );
}

#[test]
fn a_ballot_the_log_hides_is_exposed_by_the_receipt_and_by_a_mirror() {
    let s = scenario(Faults {
        revote: true,
        hides_last_ballot: true,
        ..Faults::default()
    });
    // The log's own seal and tally leave the re-vote out, so the bundle
    // is consistent on its own…
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!((report.cast, report.ballots), (5, 5));
    // …but the voter's receipt proves the log took the ballot while open.
    let hidden = s.ballots[5];
    let standing = standing(&s, &report, hidden);
    assert_eq!(standing, ReceiptStanding::Omitted { index: hidden });
    assert!(standing.is_evidence());
    // And a mirror of the log names the missing ballot.
    let err = report.compare_with_log(&s.log.entries()).unwrap_err();
    assert!(err.to_string().contains("OMISSION"), "{err}");
    assert!(err.to_string().contains(&hidden.to_string()), "{err}");
}

#[test]
fn a_spoiled_ballot_is_checked_and_never_counted_and_its_ciphertexts_cannot_be_cast() {
    let s = scenario(Faults {
        casts_spoiled: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!(report.spoiled, 1);
    // Voter 4's ballot reuses the spoiled ciphertexts: the rules skip it.
    assert_eq!((report.cast, report.ballots, report.skipped), (4, 4, 1));
    assert_eq!(
        standing(&s, &report, s.ballots[4]),
        ReceiptStanding::Skipped {
            index: s.ballots[4]
        }
    );
    assert!(s.spoiled.unwrap() < s.ballots[4]);
}

#[test]
fn a_receipt_or_a_mirror_showing_another_record_at_an_index_is_a_fork() {
    let s = scenario(Faults::default());
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    let entries = s.log.entries();
    let (first, second) = (s.ballots[0], s.ballots[1]);
    // A log with the same key that shows voter 0's ballot where the bundle
    // holds voter 1's.
    let mut forked = TestLog::new(3);
    for (index, record) in &entries[..second as usize] {
        assert_eq!(forked.push(record), *index);
    }
    assert_eq!(forked.push(&entries[first as usize].1), second);
    let receipt = forked.receipt(second).verify(&s.log.vkey()).unwrap();
    let standing = report.standing(&receipt).unwrap();
    assert_eq!(standing, ReceiptStanding::Forked { index: second });
    assert!(standing.is_evidence());
    // A mirror of that history.
    let mut mirrored = entries.clone();
    mirrored[second as usize].1 = entries[first as usize].1.clone();
    let err = report.compare_with_log(&mirrored).unwrap_err();
    assert!(err.to_string().contains("FORK"), "{err}");
}

#[test]
fn a_ballot_stamped_after_the_close_is_skipped_and_a_seal_counting_it_fails() {
    // The lax log took voter 4's ballot after the close; its own seal and
    // tally leave it out, as the rules do.
    let s = scenario(Faults {
        late_ballot: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!((report.cast, report.ballots, report.skipped), (4, 4, 1));
    assert_eq!(
        standing(&s, &report, s.ballots[4]),
        ReceiptStanding::Skipped {
            index: s.ballots[4]
        }
    );
    // A log that seals and tallies it is caught.
    let err = refused(Faults {
        late_ballot: true,
        counts_late_ballot: true,
        ..Faults::default()
    });
    assert!(
        err.to_string().contains("a ballot is missing or added"),
        "{err}"
    );
}

#[test]
fn without_its_seal_a_bundle_is_still_held_to_every_counted_ballot_by_the_tally() {
    // Leaving the seal out (as bundles of elections closed before seals
    // existed do) changes nothing the tally shows…
    let s = scenario(Faults::default());
    let report = bundle(&s, &[s.seal]).verify(&s.log.vkey()).unwrap();
    assert!(report.seal.is_none());
    assert_eq!(report.phase, Phase::Tallied);
    assert_eq!(
        report.results,
        vec![("yes".into(), Some(3)), ("no".into(), Some(1))]
    );
    // …and cannot hide a ballot: the tally counts five, and the partial
    // decryptions are of the sums over all five.
    let err = bundle(&s, &[s.seal, s.ballots[2]])
        .verify(&s.log.vkey())
        .unwrap_err();
    assert!(err.to_string().contains("tally"), "{err}");
}

#[test]
fn a_registry_its_creator_may_not_create_or_of_other_attributes_is_refused() {
    let err = refused(Faults {
        registry_by_stranger: true,
        ..Faults::default()
    });
    assert!(
        err.to_string()
            .contains("the registry's creator is not a logged authority"),
        "{err}"
    );
    let err = refused(Faults {
        registry_of_three_attributes: true,
        ..Faults::default()
    });
    assert!(
        err.to_string()
            .contains("has 3 attributes, the election gives 2 predicates"),
        "{err}"
    );
}

#[test]
fn a_ballot_on_a_root_the_registry_window_had_left_is_refused() {
    // Window: the last change or the last hour. The ballots' root was
    // logged two hours before them.
    let verify = |age_ms: u64| {
        let s = scenario(Faults {
            newer_root_age_ms: Some(age_ms),
            ..Faults::default()
        });
        bundle(&s, &[]).verify(&s.log.vkey())
    };
    // Another root logged an hour before the ballots: refused.
    let err = verify(3_600_000).unwrap_err();
    assert!(
        err.to_string()
            .contains("uses a root outside registry \"voters\"'s accepted window: 1 roots were logged after it, 7200 s before the ballot"),
        "{err}"
    );
    // Logged 61 s before them: refused too (the slack is a minute).
    assert!(verify(61_000).is_err());
    // Logged 30 s before them, it may have raced the ballots at the
    // service: within the minute's slack, they stand.
    let report = verify(30_000).unwrap();
    assert_eq!(report.ballots, 5);
}

#[test]
fn a_bundle_that_hides_a_root_logging_is_caught_by_a_mirror() {
    // The registry logged another root an hour before the ballots, which
    // takes their root out of its window (1 change or 1 hour); a bundle
    // that leaves that logging out verifies on its own…
    let s = scenario(Faults {
        newer_root_age_ms: Some(3_600_000),
        ..Faults::default()
    });
    let entries = s.log.entries();
    let root_loggings: Vec<u64> = entries
        .iter()
        .filter(|(_, r)| r.kind() == identity::REGISTRY_ROOT)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(root_loggings.len(), 2);
    let newer = root_loggings[1];
    let report = bundle(&s, &[newer]).verify(&s.log.vkey()).unwrap();
    assert_eq!(report.ballots, 5);
    // …but a mirror of the log holds it, and judged with it every ballot's
    // root is outside the window.
    let err = report.compare_with_log(&entries).unwrap_err().to_string();
    assert!(
        err.contains("ROOT WINDOW: judged with all 2 loggings of registry \"voters\"'s roots that the mirror holds"),
        "{err}"
    );
    assert!(
        err.contains("the mirror holds, ballot at ")
            && err.contains("1 roots were logged after it"),
        "{err}"
    );

    // A root logged 30 s before the ballots may have raced them: with the
    // mirror's two loggings they still stand.
    let s = scenario(Faults {
        newer_root_age_ms: Some(30_000),
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    let comparison = report.compare_with_log(&s.log.entries()).unwrap();
    assert_eq!((comparison.ballots, comparison.root_loggings), (5, 2));
}

#[test]
fn an_opening_stamped_before_the_announced_window_is_skipped_with_everything_after_it() {
    // A lax log took the commission's opening a second before opens_at_ms:
    // the rules skip it, so the election never opened, and the key, the
    // ballots, the seal and the tally the log took after it are skipped.
    let s = scenario(Faults {
        opened_early: true,
        ..Faults::default()
    });
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!(report.phase, Phase::KeyCeremony);
    assert_eq!((report.cast, report.ballots), (0, 0));
    assert!(report.skipped >= 5 + 2, "{}", report.skipped);
    assert!(report.results.iter().all(|(_, count)| count.is_none()));
    // Stamped at opens_at_ms, the same log opens and tallies.
    let s = scenario(Faults::default());
    let report = bundle(&s, &[]).verify(&s.log.vkey()).unwrap();
    assert_eq!((report.phase, report.ballots), (Phase::Tallied, 5));
}
