//! A voter's ballots: everything needed to make them for one election,
//! encrypted and proved locally (choices and randomness never leave this
//! machine), and casting them.

use std::path::Path;

use crate::domains::election::{BallotBody, ElectionView};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::{CryptoRng, RngCore};
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::constraints::BallotCircuit;
use zkaudit_circuits::ballot::{BallotShape, BallotWitness, check, encrypt_ballot, public_inputs};
use zkaudit_circuits::elgamal::{Scalar, decode_point, random_scalar};
use zkaudit_circuits::eligibility::{EligibilityWitness, credential_leaf};
use zkaudit_circuits::identity::Identity;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::election::{Ballot, ElectionSpec, Phase, ballot_statement};

use zeroize::Zeroize;
use zkaudit_prover::{Bn254, ProvingKey};
use zkaudit_verifier::Receipt;
use zkaudit_verifier::election::challenge::BallotChallenge;
use zkaudit_verifier::groth16::{self, PreparedKey};

use crate::client::Client;

use super::choices::parse_choices;
use super::election_spec;
use crate::client::identity::RegistryTree;
use crate::client::proving_key::proving_key;

/// Everything a voter needs to make ballots for one election: its spec and
/// joint key, the registry (all members, so the service learns nothing
/// about which one is ours) and the checked proving key.
pub struct BallotContext {
    /// The election.
    pub spec: ElectionSpec,
    /// The ballot circuit's shape.
    pub shape: BallotShape,
    /// The joint election key.
    pub joint_key: Point,
    registry: RegistryTree,
    pk: ProvingKey<Bn254>,
    prepared: PreparedKey,
}

impl BallotContext {
    /// Fetches an open election's context; proving keys are cached in `cache`.
    pub fn fetch(client: &Client, election: &str, cache: &Path) -> Result<Self> {
        let spec = election_spec(client, election)?;
        let view: ElectionView = client.get(&format!("/v1/elections/{election}"))?;
        let joint_key = match &view.joint_key {
            Some(h) if view.phase == Phase::Open.name() => decode_point(&hex::decode(h)?)
                .map_err(|e| anyhow::anyhow!("the election key: {e}"))?,
            _ => bail!(
                "election {election:?} is {}, not open for voting",
                view.phase
            ),
        };
        let registry = RegistryTree::fetch(client, &spec.registry)?;
        let shape = spec.ballot_shape(registry.view.depth as usize, Some(&joint_key))?;
        let (pk, prepared) = proving_key(
            client,
            cache,
            &shape.id(),
            &format!("/v1/elections/{election}/proving-key"),
        )?;
        Ok(Self {
            spec,
            shape,
            joint_key,
            registry,
            pk,
            prepared,
        })
    }

    /// The value vector for `--choose` values ([`parse_choices`]).
    pub fn choices(&self, choose: &[String]) -> Result<Vec<u64>> {
        parse_choices(&self.spec, choose)
    }

    /// A proved, locally verified ballot for `choices` by the holder of
    /// `identity` with a credential carrying `attributes`.
    pub fn ballot(
        &self,
        identity: &Identity,
        attributes: &[u64],
        choices: Vec<u64>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Ballot> {
        let mut randomness: Vec<Scalar> = (0..choices.len()).map(|_| random_scalar(rng)).collect();
        let ballot = self.prove(identity, attributes, choices, &randomness, rng);
        randomness.zeroize();
        ballot
    }

    /// A ballot prepared exactly as [`ballot`](Self::ballot) prepares one
    /// (encrypted and proved), then opened for a cast-as-intended check
    /// instead of being cast: its choices and randomness revealed. It must
    /// never be cast; vote again with fresh randomness.
    pub fn challenge(
        &self,
        identity: &Identity,
        attributes: &[u64],
        choices: Vec<u64>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<BallotChallenge> {
        let randomness: Vec<Scalar> = (0..choices.len()).map(|_| random_scalar(rng)).collect();
        let ballot = self.prove(identity, attributes, choices.clone(), &randomness, rng)?;
        Ok(BallotChallenge::new(
            &ballot.election,
            &self.joint_key,
            &choices,
            &randomness,
            &ballot.ciphertexts,
        ))
    }

    fn prove(
        &self,
        identity: &Identity,
        attributes: &[u64],
        choices: Vec<u64>,
        randomness: &[Scalar],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Ballot> {
        let leaf = credential_leaf(identity.commitment(), attributes)?;
        let index = self.registry.index_of(&leaf)?;
        let mut ballot = Ballot {
            election: self.spec.id.clone(),
            root: fr_to_bytes(&self.registry.root),
            nullifier: fr_to_bytes(&identity.nullifier(self.spec.scope_field())),
            ciphertexts: encrypt_ballot(&self.joint_key, &choices, randomness)?,
            vk_digest: self.prepared.digest(),
            proof: Vec::new(),
        };
        let public = ballot_statement(&self.spec, self.shape, &ballot, self.joint_key)?;
        let witness = BallotWitness {
            eligibility: EligibilityWitness {
                secret: identity.secret_scalar(),
                attributes: attributes.to_vec(),
                path: self
                    .registry
                    .tree
                    .generate_proof(index)?
                    .to_circuit_path(self.shape.eligibility.depth)?,
            },
            choices,
            randomness: randomness.to_vec(),
        };
        check(&public, &witness)
            .context("this ballot is not valid for the election (eligibility or choices)")?;
        let proof =
            zkaudit_prover::prove(&self.pk, BallotCircuit::new(public.clone(), witness), rng)?;
        groth16::verify(&self.prepared, &public_inputs(&public), &proof)
            .context("the new ballot proof does not verify")?;
        ballot.proof = groth16::encode_proof(&proof).to_vec();
        Ok(ballot)
    }

    /// The fingerprint a voter sees before casting or challenging.
    pub fn fingerprint(ballot: &Ballot) -> [u8; 32] {
        ballot.fingerprint()
    }
}

/// The POST body of a ballot.
pub fn ballot_body(ballot: &Ballot) -> BallotBody {
    BallotBody {
        ballot: BASE64.encode(ballot.encode()),
    }
}

/// Submits a ballot; returns the receipt.
pub fn cast(client: &Client, ballot: &Ballot) -> Result<Receipt> {
    Ok(client.post(
        &format!("/v1/elections/{}/ballots", ballot.election),
        &ballot_body(ballot),
    )?)
}
