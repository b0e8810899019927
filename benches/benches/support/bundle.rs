//! Whole elections logged natively, for the benches that verify bundles
//! (`election`, and `board`, which compares the browser's verifier with
//! the native one on the same bundles).

#![allow(
    dead_code,
    reason = "each bench compiles this module; not all use every helper"
)]

use ark_ff::UniformRand;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_benches::named_key as key;
use zkaudit_circuits::Fr;
use zkaudit_circuits::ballot::{BallotCircuit, BallotWitness, encrypt_ballot, public_inputs};
use zkaudit_circuits::elgamal::{Scalar, public_key, random_scalar, sum_ballots};
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
    self, BALLOT, Ballot, BallotStatement, Contest, DealRecord, DecryptRecord, ElectionKey,
    ElectionSpec, Phase, PhaseChange, TallyRecord, TrusteeSpec, ballot_statement,
};
use zkaudit_ledger::identity::{self, CircuitKey, REGISTRY_CREATE, RegistryRoot, RegistrySpec};
use zkaudit_ledger::merkle::{MemoryTree, leaf_hash};
use zkaudit_ledger::note::{Checkpoint, NoteSigningKey, sign_checkpoint};
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_prover::{prove_batch, setup_development};
use zkaudit_verifier::election::{ELECTION_BUNDLE_FORMAT, ElectionBundle};
use zkaudit_verifier::groth16::{encode_proof, encode_vk, vk_digest};
use zkaudit_verifier::{LogEntry, LogEvidence};

use super::trapdoor::Trapdoor;

/// Registry depth of the bundles (room for 1,024 voters).
pub const BUNDLE_DEPTH: usize = 10;
/// The origin of the in-memory log the offline bundle is built in.
pub const BUNDLE_LOG: &str = "bench.example/log";

/// An append-only log in memory with the log's signing key.
pub struct MemoryLog {
    key: NoteSigningKey,
    tree: MemoryTree,
    leaves: Vec<Vec<u8>>,
}

impl MemoryLog {
    pub fn push(&mut self, record: &Record) -> u64 {
        let leaf = record.encode();
        self.tree.push(leaf_hash(&leaf));
        self.leaves.push(leaf);
        self.leaves.len() as u64 - 1
    }

    pub fn bundle(&self, election: &str) -> ElectionBundle {
        let size = self.leaves.len() as u64;
        let checkpoint = Checkpoint::new(self.key.name(), size, self.tree.root());
        let note = sign_checkpoint(&checkpoint, &self.key).unwrap();
        let entries = (0..size)
            .map(|index| {
                LogEntry::new(
                    index,
                    &self.leaves[index as usize],
                    &self.tree.inclusion_proof(index, size).unwrap(),
                )
            })
            .collect();
        ElectionBundle {
            format: ELECTION_BUNDLE_FORMAT.to_owned(),
            election: election.to_owned(),
            evidence: LogEvidence::new(String::from_utf8(note).unwrap(), entries),
        }
    }
}

pub fn signed(kind: &str, payload: Vec<u8>, key: &impl RecordSigner) -> Record {
    Record::signed(BUNDLE_LOG, election::DOMAIN, kind, 1, payload, key).unwrap()
}

/// The ballot circuit of the bundles' elections, with its development keys
/// and their setup's trapdoor.
pub struct Keys {
    pk: ark_groth16::ProvingKey<ark_bn254::Bn254>,
    circuit_key: CircuitKey,
    trapdoor: Trapdoor,
}

/// How a bundle's ballots get their proofs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proving {
    /// Each voter (one per ballot, enrolled in the registry) proves its
    /// ballot: as real as it gets, about 0.3 s a ballot.
    Voters,
    /// The setup's trapdoor proves each ballot's statement, with a fresh
    /// nullifier: about a millisecond a ballot, for elections of thousands
    /// (the registry holds one voter; the proofs verify all the same).
    Trapdoor,
    /// [`Proving::Trapdoor`], except that the ballot at this position (from
    /// 0) carries the previous ballot's proof: a well-formed proof of
    /// another statement, which no verifier may accept for this one.
    TrapdoorForgedAt(usize),
}

/// Seed of the bundles' development setup.
const SETUP_SEED: u64 = 5;

pub fn election_spec_for(n: usize, trustees: &[(NoteSigningKey, Scalar)]) -> ElectionSpec {
    ElectionSpec {
        id: format!("referendum-{n}"),
        title: "Referendum".into(),
        statement: BallotStatement::Choices,
        contests: vec![Contest::choices(vec!["yes".into(), "no".into()], 0, 1)],
        registry: "voters".into(),
        predicates: vec![
            AttributePredicate::at_most(20_081_123),
            AttributePredicate::equals(4),
        ],
        trustees: trustees
            .iter()
            .enumerate()
            .map(|(i, (sk, secret))| TrusteeSpec {
                name: format!("trustee-{}", i + 1),
                signing_key: sk.public_key(),
                encryption_key: public_key(secret),
            })
            .collect(),
        threshold: 2,
        opens_at_ms: 1,
        closes_at_ms: 2,
        circuit_key: None,
        revoting: false,
    }
}

pub fn trustees(rng: &mut ChaCha20Rng) -> Vec<(NoteSigningKey, Scalar)> {
    (0..3)
        .map(|i| (key("trustee", 20 + i), random_scalar(rng)))
        .collect()
}

pub fn ballot_keys() -> Keys {
    let mut rng = ChaCha20Rng::seed_from_u64(SETUP_SEED);
    let spec = election_spec_for(0, &trustees(&mut rng));
    let shape = spec.ballot_shape(BUNDLE_DEPTH, None).unwrap();
    let (pk, vk) = setup_development(
        BallotCircuit::blank(shape),
        &mut ChaCha20Rng::seed_from_u64(SETUP_SEED),
    )
    .unwrap();
    Keys {
        trapdoor: Trapdoor::rederive(SETUP_SEED, vk.clone()),
        pk,
        circuit_key: CircuitKey {
            shape: shape.id(),
            vk_digest: vk_digest(&vk),
            vk: encode_vk(&vk),
            development: true,
            ceremony: None,
        },
    }
}

/// A tallied election with `n` ballots (every third one votes "no"), all
/// its records and their inclusion proofs, each ballot proved by its
/// voter: the bundle, and the log key.
pub fn election_bundle(keys: &Keys, n: usize) -> (ElectionBundle, String) {
    election_bundle_proved(keys, n, Proving::Voters)
}

/// [`election_bundle`], the ballots proved as `proving` says.
pub fn election_bundle_proved(keys: &Keys, n: usize, proving: Proving) -> (ElectionBundle, String) {
    let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
    let mut log = MemoryLog {
        key: key(BUNDLE_LOG, 9),
        tree: MemoryTree::new(),
        leaves: Vec::new(),
    };
    let log_key = log.key.verifier_key_string();
    let registrar = key("civil-registry", 1);
    let commission = key("election-commission", 2);
    let set = AuthoritySet::new(vec![
        Authority {
            name: "civil-registry".into(),
            key: registrar.public_key(),
            grants: vec!["identity/*".into()],
        },
        Authority {
            name: "election-commission".into(),
            key: commission.public_key(),
            grants: vec!["election/*".into()],
        },
    ])
    .unwrap();
    let record = Record::signed(
        BUNDLE_LOG,
        LEDGER_DOMAIN,
        AUTHORITY_SET_KIND,
        1,
        set.encode(),
        &log.key,
    );
    log.push(&record.unwrap());
    let registry = RegistrySpec {
        id: "voters".into(),
        title: "Voters".into(),
        attributes: vec!["birth_date".into(), "region".into()],
        depth: BUNDLE_DEPTH as u8,
        window_changes: 8,
        window_secs: 3600,
    };
    let record = Record::signed(
        BUNDLE_LOG,
        identity::DOMAIN,
        REGISTRY_CREATE,
        1,
        registry.encode(),
        &registrar,
    );
    log.push(&record.unwrap());
    let enrolled = match proving {
        Proving::Voters => n,
        Proving::Trapdoor | Proving::TrapdoorForgedAt(_) => 1,
    };
    let voters: Vec<Identity> = (0..enrolled).map(|_| Identity::random(&mut rng)).collect();
    let attributes = vec![19_900_101, 4];
    let mut tree = LeanImt::new();
    for voter in &voters {
        tree.insert(credential_leaf(voter.commitment(), &attributes).unwrap());
    }
    let root = tree.root().unwrap();
    let logged_root = RegistryRoot {
        registry: registry.id.clone(),
        version: enrolled as u64,
        size: enrolled as u64,
        root: fr_to_bytes(&root),
        change_index: 1,
    };
    let record = Record::signed(
        BUNDLE_LOG,
        identity::DOMAIN,
        identity::REGISTRY_ROOT,
        1,
        logged_root.encode(),
        &log.key,
    );
    log.push(&record.unwrap());
    let record = Record::signed(
        BUNDLE_LOG,
        identity::DOMAIN,
        identity::CIRCUIT_KEY,
        1,
        keys.circuit_key.encode(),
        &log.key,
    );
    log.push(&record.unwrap());

    let trustees = trustees(&mut rng);
    let spec = election_spec_for(n, &trustees);
    let shape = spec.ballot_shape(BUNDLE_DEPTH, None).unwrap();
    let phase = |phase| {
        PhaseChange {
            election: spec.id.clone(),
            phase,
        }
        .encode()
    };
    log.push(&signed(election::CREATE, spec.encode(), &commission));
    log.push(&signed(
        election::PHASE,
        phase(Phase::KeyCeremony),
        &commission,
    ));
    let params = spec.params().unwrap();
    let context = spec.context();
    let trustee_keys = spec.trustee_keys();
    let dealings: Vec<_> = (1..=3u32)
        .map(|i| {
            let secret = DealerSecret::random(&params, &mut rng);
            deal(&params, &context, i, &secret, &trustee_keys, &mut rng).unwrap()
        })
        .collect();
    for (i, dealing) in dealings.iter().enumerate() {
        let payload = DealRecord {
            election: spec.id.clone(),
            dealing: dealing.clone(),
        };
        log.push(&signed(election::DEAL, payload.encode(), &trustees[i].0));
    }
    log.push(&signed(election::PHASE, phase(Phase::Open), &commission));
    let qualification = qualify(&context, &params, &trustee_keys, &dealings, &[]).unwrap();
    let joint_key = qualification.joint_public_key();
    let key_record = ElectionKey {
        election: spec.id.clone(),
        qualified: qualification.qualified().to_vec(),
        joint_key,
    };
    log.push(&signed(election::KEY, key_record.encode(), &log.key));

    // The ballots, proved in parallel (or by the trapdoor).
    let mut ballots = Vec::with_capacity(n);
    let mut circuits = Vec::with_capacity(n);
    let mut forged = Vec::new();
    for v in 0..n {
        let choices = if v % 3 == 2 { vec![0, 1] } else { vec![1, 0] };
        let randomness: Vec<Scalar> = (0..2).map(|_| random_scalar(&mut rng)).collect();
        // Voters prove their own ballots; the trapdoor needs none.
        let voter = voters.get(v).filter(|_| proving == Proving::Voters);
        let nullifier = match voter {
            Some(voter) => voter.nullifier(spec.scope_field()),
            None => Fr::rand(&mut rng),
        };
        let ballot = Ballot {
            election: spec.id.clone(),
            root: fr_to_bytes(&root),
            nullifier: fr_to_bytes(&nullifier),
            ciphertexts: encrypt_ballot(&joint_key, &choices, &randomness).unwrap(),
            vk_digest: keys.circuit_key.vk_digest,
            proof: Vec::new(),
        };
        let public = ballot_statement(&spec, shape, &ballot, joint_key).unwrap();
        match voter {
            None => {
                forged.push(keys.trapdoor.prove(&public_inputs(&public), &mut rng));
            }
            Some(voter) => {
                let witness = BallotWitness {
                    eligibility: EligibilityWitness {
                        secret: voter.secret_scalar(),
                        attributes: attributes.clone(),
                        path: tree
                            .generate_proof(v)
                            .unwrap()
                            .to_circuit_path(BUNDLE_DEPTH)
                            .unwrap(),
                    },
                    choices,
                    randomness,
                };
                circuits.push(BallotCircuit::new(public, witness));
            }
        }
        ballots.push(ballot);
    }
    let proofs = match proving {
        Proving::Voters => prove_batch(&keys.pk, circuits, [n as u8; 32]).unwrap(),
        Proving::Trapdoor => forged,
        Proving::TrapdoorForgedAt(at) => {
            assert!((1..n).contains(&at), "a ballot after the first");
            let mut forged = forged;
            forged[at] = forged[at - 1].clone();
            forged
        }
    };
    for (ballot, proof) in ballots.iter_mut().zip(&proofs) {
        ballot.proof = encode_proof(proof).to_vec();
        let record =
            Record::unsigned(BUNDLE_LOG, election::DOMAIN, BALLOT, 1, ballot.encode()).unwrap();
        log.push(&record);
    }
    log.push(&signed(election::PHASE, phase(Phase::Closed), &commission));

    // Trustees 1 and 2 decrypt; the log tallies.
    let sums = sum_ballots(
        &ballots
            .iter()
            .map(|b| b.ciphertexts.clone())
            .collect::<Vec<_>>(),
        2,
    )
    .unwrap();
    let mut partials = Vec::new();
    for j in 1..=2u32 {
        let (signing, secret) = &trustees[j as usize - 1];
        let share = key_share(&context, &params, &qualification, &dealings, j, secret).unwrap();
        let mine: Vec<_> = (0..2u32)
            .map(|o| partial_decrypt(&context, o, &share, &sums[o as usize], &mut rng))
            .collect();
        let payload = DecryptRecord {
            election: spec.id.clone(),
            partials: mine.clone(),
        };
        log.push(&signed(election::DECRYPT, payload.encode(), signing));
        partials.extend(mine);
    }
    let table = DlogTable::new(n as u64).unwrap();
    let verification_keys = qualification.verification_keys();
    let tally = decrypt_tally(
        &context,
        &params,
        &verification_keys,
        &sums,
        &partials,
        &table,
    )
    .unwrap();
    let tally_record = TallyRecord {
        election: spec.id.clone(),
        ballots: n as u64,
        counts: tally.counts.clone(),
        used: tally.used.clone(),
        rejected: Vec::new(),
    };
    log.push(&signed(election::TALLY, tally_record.encode(), &log.key));
    (log.bundle(&spec.id), log_key)
}
