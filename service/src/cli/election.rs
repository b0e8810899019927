//! The election commands: the commission (`election`), the trustees
//! (`trustee`) and the voter (`vote`).
//!
//! Secrets stay on the machine that holds them: a trustee's key file (mode
//! 0600) holds its Ed25519 signing key and its BabyJubJub secret; its
//! polynomial is drawn, used and dropped inside `trustee deal`; its key
//! share is recomputed from the logged dealings when it decrypts. A voter's
//! choices and encryption randomness never leave `zkaudit vote`: only the
//! ciphertexts and the proof are sent.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ark_serialize::CanonicalDeserialize;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::{Args, Subcommand};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zkaudit_circuits::Fr;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::constraints::BallotCircuit;
use zkaudit_circuits::ballot::{BallotShape, BallotWitness, check, encrypt_ballot, public_inputs};
use zkaudit_circuits::elgamal::{
    Ciphertext, Scalar, decode_point, decode_scalar, encode_point, encode_scalar, public_key,
    random_scalar,
};
use zkaudit_circuits::eligibility::{EligibilityWitness, credential_leaf};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::threshold::ThresholdError;
use zkaudit_circuits::threshold::decrypt::partial_decrypt;
use zkaudit_circuits::threshold::dkg::{
    Complaint, DealerSecret, Dealing, deal, key_share, qualify, receive_share,
};
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::election::{
    Ballot, COMPLAINT, CREATE, ComplaintRecord, DEAL, DECRYPT, DOMAIN, DealRecord, DecryptRecord,
    ElectionSpec, PHASE, Phase, PhaseChange, TrusteeSpec, ballot_statement,
};

use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_prover::{Bn254, ProvingKey};
use zkaudit_verifier::Receipt;
use zkaudit_verifier::groth16::{self, PreparedKey};

use crate::cli::identity::{Wallet, all_members, parse_predicates};
use crate::client::Client;
use crate::domains::election::{AggregateView, BallotBody, CeremonyView, ElectionView};
use crate::domains::identity::KeyView;
use crate::domains::identity::RegistryView;
use crate::keyfile::{read_signing_key, write_secret_file};

const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";
const TRUSTEE_KEY_FORMAT: &str = "zkaudit-trustee-key/v1";

/// `zkaudit election …`: the commission's commands and reading elections.
#[derive(Subcommand, Debug)]
pub enum ElectionCommand {
    /// Create an election: options, eligibility rule, trustees and threshold.
    Create(CreateElectionArgs),
    /// Move an election to its next phase: key-ceremony, open or closed.
    Phase {
        /// The commission's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Election id.
        id: String,
        /// `key-ceremony`, `open` or `closed`.
        phase: String,
        /// The log's base URL.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Show an election: phase, trustees, ballots, tally.
    Show {
        /// Election id.
        id: String,
        /// The log's base URL.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Download the election bundle that `zkaudit verify` checks offline.
    Export {
        /// Election id.
        id: String,
        /// Where to write the bundle.
        #[arg(long, default_value = "election-bundle.json")]
        out: PathBuf,
        /// The log's base URL.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
    },
}

/// `zkaudit election create`.
#[derive(Args, Debug)]
pub struct CreateElectionArgs {
    /// The commission's private key file (an authority granted `election/*`).
    #[arg(long)]
    pub key: PathBuf,
    /// Election id, `[a-z0-9-]`.
    #[arg(long)]
    pub id: String,
    /// Title.
    #[arg(long, default_value = "")]
    pub title: String,
    /// An option label (repeat, 2 to 8).
    #[arg(long = "option", required = true)]
    pub options: Vec<String>,
    /// Fewest options a ballot must mark.
    #[arg(long, default_value_t = 0)]
    pub min: u8,
    /// Most options a ballot may mark.
    #[arg(long, default_value_t = 1)]
    pub max: u8,
    /// The credential registry of eligible voters.
    #[arg(long)]
    pub registry: String,
    /// Eligibility predicate, as for `issuer create-scope` (repeat).
    #[arg(long = "predicate")]
    pub predicates: Vec<String>,
    /// A trustee's public JSON from `zkaudit trustee keygen` (repeat, in order).
    #[arg(long = "trustee", required = true)]
    pub trustees: Vec<PathBuf>,
    /// How many trustees must decrypt.
    #[arg(long)]
    pub threshold: u32,
    /// Voting closes this many seconds from now.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    pub closes_in_secs: u64,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit trustee …`: a trustee's key ceremony and decryption.
#[derive(Subcommand, Debug)]
pub enum TrusteeCommand {
    /// Make a trustee key file (Ed25519 signing key and BabyJubJub secret).
    Keygen {
        /// The trustee's name.
        #[arg(long)]
        name: String,
        /// The private key file to create (mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Also write the public part (JSON) here; it is printed either way.
        #[arg(long)]
        public_out: Option<PathBuf>,
    },
    /// Deal: draw a polynomial locally and publish its commitments and encrypted shares.
    Deal(TrusteeArgs),
    /// Decrypt and check the shares dealt to you; complain about every bad one.
    Check(TrusteeArgs),
    /// Publish your partial decryption of the closed election's sums.
    Decrypt(TrusteeArgs),
}

/// The arguments of the trustee's ceremony commands.
#[derive(Args, Debug)]
pub struct TrusteeArgs {
    /// The trustee's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Election id.
    #[arg(long)]
    pub election: String,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit vote`.
#[derive(Args, Debug)]
pub struct VoteArgs {
    /// Wallet file holding a credential in the election's registry.
    #[arg(long, default_value = "zkaudit-wallet.json")]
    pub wallet: PathBuf,
    /// Election id.
    #[arg(long)]
    pub election: String,
    /// An option to mark, by label or 0-based index (repeat; none for a blank ballot if allowed).
    #[arg(long = "choose")]
    pub choose: Vec<String>,
    /// Where proving keys are cached.
    #[arg(long, default_value = "zkaudit-keys")]
    pub keys: PathBuf,
    /// Write the receipt here.
    #[arg(long, default_value = "ballot-receipt.json")]
    pub out: PathBuf,
    /// Do not submit: write the ballot (the POST body) to --out instead.
    #[arg(long)]
    pub no_submit: bool,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// A trustee's public part, as `trustee keygen` prints it and `election
/// create --trustee` reads it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteePublic {
    /// Name.
    pub name: String,
    /// Ed25519 signing key, hex (32 bytes).
    pub signing_key: String,
    /// BabyJubJub encryption key, hex (64 bytes).
    pub encryption_key: String,
}

impl TrusteePublic {
    /// The trustee as an election names it; keys are checked strictly.
    pub fn to_spec(&self) -> Result<TrusteeSpec> {
        let signing: [u8; 32] = hex::decode(&self.signing_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .context("signing_key is not 32 bytes of hex")?;
        let signing_key = ed25519_dalek::VerifyingKey::from_bytes(&signing)
            .map_err(|_| anyhow::anyhow!("signing_key is not an Ed25519 key"))?;
        let encryption_key =
            decode_point(&hex::decode(&self.encryption_key).context("encryption_key is not hex")?)
                .map_err(|e| anyhow::anyhow!("encryption_key: {e}"))?;
        Ok(TrusteeSpec {
            name: self.name.clone(),
            signing_key,
            encryption_key,
        })
    }
}

/// The trustee key file's JSON.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrusteeKeyFile {
    format: String,
    name: String,
    signing_key: String,
    encryption_secret: String,
}

impl Drop for TrusteeKeyFile {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.signing_key.zeroize();
        self.encryption_secret.zeroize();
    }
}

/// A trustee's secrets: its Ed25519 signing key and its BabyJubJub secret.
/// `Debug` shows the name only.
pub struct TrusteeKey {
    name: String,
    signing: NoteSigningKey,
    encryption_secret: Scalar,
}

impl std::fmt::Debug for TrusteeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrusteeKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TrusteeKey {
    /// A fresh trustee key.
    pub fn generate(name: &str, rng: &mut (impl RngCore + CryptoRng)) -> Result<Self> {
        Ok(Self {
            name: name.to_owned(),
            signing: NoteSigningKey::generate(name, rng)?,
            encryption_secret: random_scalar(rng),
        })
    }

    /// Writes the key file (mode 0600; it must not exist).
    pub fn save(&self, path: &Path) -> Result<()> {
        let file = TrusteeKeyFile {
            format: TRUSTEE_KEY_FORMAT.into(),
            name: self.name.clone(),
            signing_key: self.signing.to_skey_string().to_string(),
            encryption_secret: hex::encode(encode_scalar(&self.encryption_secret)),
        };
        let text = zeroize::Zeroizing::new(serde_json::to_string_pretty(&file)?);
        write_secret_file(path, &text)
    }

    /// Reads a key file. Errors name the file, never its contents.
    pub fn load(path: &Path) -> Result<Self> {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading trustee key {}", path.display()))?,
        );
        let not_a_key = || anyhow::anyhow!("{} is not a zkaudit trustee key", path.display());
        let file: TrusteeKeyFile = serde_json::from_str(&text).map_err(|_| not_a_key())?;
        if file.format != TRUSTEE_KEY_FORMAT {
            return Err(not_a_key());
        }
        let signing = NoteSigningKey::from_skey_str(&file.signing_key).map_err(|_| not_a_key())?;
        let secret =
            zeroize::Zeroizing::new(hex::decode(&file.encryption_secret).map_err(|_| not_a_key())?);
        let encryption_secret = decode_scalar(&secret).map_err(|_| not_a_key())?;
        Ok(Self {
            name: file.name.clone(),
            signing,
            encryption_secret,
        })
    }

    /// The trustee's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Ed25519 key its records are signed with.
    pub fn signing_key(&self) -> &NoteSigningKey {
        &self.signing
    }

    /// The public part.
    pub fn public(&self) -> TrusteePublic {
        TrusteePublic {
            name: self.name.clone(),
            signing_key: hex::encode(self.signing.public_key().as_bytes()),
            encryption_key: hex::encode(encode_point(&self.encryption_key())),
        }
    }

    /// The BabyJubJub key shares are encrypted to.
    pub fn encryption_key(&self) -> Point {
        public_key(&self.encryption_secret)
    }

    /// This trustee's 1-based index in `spec`, checking that the election
    /// lists both of its keys.
    pub fn index_in(&self, spec: &ElectionSpec) -> Result<u32> {
        let index = spec
            .trustee_index(&self.signing.public_key())
            .with_context(|| {
                format!("{:?} is not a trustee of election {:?}", self.name, spec.id)
            })?;
        if spec.trustees[index as usize - 1].encryption_key != self.encryption_key() {
            bail!(
                "election {:?} lists another encryption key for trustee {index}",
                spec.id
            );
        }
        Ok(index)
    }
}

fn get<T: serde::de::DeserializeOwned>(client: &Client, path: &str) -> Result<T> {
    serde_json::from_value(client.get_json(path)?)
        .with_context(|| format!("unexpected answer from {path}"))
}

/// The election's spec, decoded from its logged `election.create` record.
pub fn election_spec(client: &Client, id: &str) -> Result<ElectionSpec> {
    let view: ElectionView = get(client, &format!("/v1/elections/{id}"))?;
    let entry = client.get_json(&format!("/v1/log/entries/{}", view.created_at))?;
    let record = Record::decode(
        &BASE64
            .decode(entry["record"].as_str().context("entry without record")?)
            .context("entry record is not base64")?,
    )?;
    if record.domain() != DOMAIN || record.kind() != CREATE {
        bail!("log entry {} is not an election.create", view.created_at);
    }
    let spec = ElectionSpec::decode(record.payload())?;
    if spec.id != id {
        bail!("log entry {} creates another election", view.created_at);
    }
    Ok(spec)
}

/// Signs `payload` as `election/kind` with `key` and appends it.
pub fn post_election_record(
    client: &Client,
    key: &NoteSigningKey,
    kind: &str,
    payload: Vec<u8>,
) -> Result<Receipt> {
    let record = Record::signed(DOMAIN, kind, crate::clock::now_ms(), payload, key)?;
    client.append(&record)
}

/// The logged dealings and complaints of an election.
pub fn ceremony(client: &Client, spec: &ElectionSpec) -> Result<(Vec<Dealing>, Vec<Complaint>)> {
    let view: CeremonyView = get(client, &format!("/v1/elections/{}/ceremony", spec.id))?;
    let params = spec.params()?;
    let dealings = view
        .dealings
        .iter()
        .map(|(_, h)| {
            Dealing::from_bytes(&params, &hex::decode(h)?)
                .map_err(|e| anyhow::anyhow!("a logged dealing: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let complaints = view
        .complaints
        .iter()
        .map(|h| {
            Complaint::from_bytes(&hex::decode(h)?)
                .map_err(|e| anyhow::anyhow!("a logged complaint: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((dealings, complaints))
}

/// Trustee `key`'s dealing for `spec`: a fresh polynomial, drawn here and
/// dropped when this returns.
pub fn make_dealing(
    spec: &ElectionSpec,
    key: &TrusteeKey,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Dealing> {
    let index = key.index_in(spec)?;
    let params = spec.params()?;
    let secret = DealerSecret::random(&params, rng);
    Ok(deal(
        &params,
        &spec.context(),
        index,
        &secret,
        &spec.trustee_keys(),
        rng,
    )?)
}

/// Publishes a dealing signed by the trustee.
pub fn post_dealing(
    client: &Client,
    key: &TrusteeKey,
    election: &str,
    dealing: Dealing,
) -> Result<Receipt> {
    let record = DealRecord {
        election: election.to_owned(),
        dealing,
    };
    post_election_record(client, &key.signing, DEAL, record.encode())
}

/// What `trustee check` found.
#[derive(Clone, Debug, Default)]
pub struct CheckSummary {
    /// Dealers whose shares check.
    pub good: Vec<u32>,
    /// Dealers complained about now.
    pub complained: Vec<u32>,
    /// Dealers complained about earlier.
    pub already_complained: Vec<u32>,
}

/// Decrypts and checks the trustee's share of every other dealing and
/// publishes a complaint for each bad one.
pub fn check_shares(
    client: &Client,
    key: &TrusteeKey,
    spec: &ElectionSpec,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<CheckSummary> {
    let index = key.index_in(spec)?;
    let params = spec.params()?;
    let context = spec.context();
    let (dealings, complaints) = ceremony(client, spec)?;
    let mut summary = CheckSummary::default();
    for dealing in dealings.iter().filter(|d| d.dealer != index) {
        if complaints
            .iter()
            .any(|c| c.dealer == dealing.dealer && c.recipient == index)
        {
            summary.already_complained.push(dealing.dealer);
            continue;
        }
        match receive_share(&context, &params, dealing, index, &key.encryption_secret) {
            Ok(_) => summary.good.push(dealing.dealer),
            Err(ThresholdError::InvalidShare) => {
                let complaint =
                    Complaint::new(&context, dealing, index, &key.encryption_secret, rng)?;
                let record = ComplaintRecord {
                    election: spec.id.clone(),
                    complaint,
                };
                post_election_record(client, &key.signing, COMPLAINT, record.encode())?;
                summary.complained.push(dealing.dealer);
            }
            Err(e) => bail!(
                "the dealing of trustee {} is malformed: {e}",
                dealing.dealer
            ),
        }
    }
    Ok(summary)
}

/// The trustee's partial decryptions of the closed election's sums: its key
/// share is recomputed from the logged dealings of the qualified dealers.
pub fn partial_decryptions(
    client: &Client,
    key: &TrusteeKey,
    spec: &ElectionSpec,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<DecryptRecord> {
    let index = key.index_in(spec)?;
    let params = spec.params()?;
    let context = spec.context();
    let (dealings, complaints) = ceremony(client, spec)?;
    let qualification = qualify(
        &context,
        &params,
        &spec.trustee_keys(),
        &dealings,
        &complaints,
    )?;
    let share = key_share(
        &context,
        &params,
        &qualification,
        &dealings,
        index,
        &key.encryption_secret,
    )
    .context("your shares do not all check: the key ceremony should have had your complaint")?;
    if share.verification_key() != qualification.verification_key(index)? {
        bail!("your key share does not match its public verification key");
    }
    let aggregate: AggregateView = get(client, &format!("/v1/elections/{}/aggregate", spec.id))?;
    if aggregate.phase != Phase::Closed.name() {
        bail!(
            "election {:?} is {}, trustees decrypt once it is closed",
            spec.id,
            aggregate.phase
        );
    }
    let sums = aggregate
        .sums
        .iter()
        .map(|h| {
            Ciphertext::from_bytes(&hex::decode(h)?)
                .map_err(|e| anyhow::anyhow!("a published sum: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if sums.len() != spec.options.len() {
        bail!(
            "the service published {} sums for {} options",
            sums.len(),
            spec.options.len()
        );
    }
    let partials = sums
        .iter()
        .enumerate()
        .map(|(option, sum)| partial_decrypt(&context, option as u32, &share, sum, rng))
        .collect();
    Ok(DecryptRecord {
        election: spec.id.clone(),
        partials,
    })
}

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
    leaves: Vec<Fr>,
    tree: LeanImt,
    root: Fr,
    pk: ProvingKey<Bn254>,
    prepared: PreparedKey,
}

impl BallotContext {
    /// Fetches an open election's context; proving keys are cached in `cache`.
    pub fn fetch(client: &Client, election: &str, cache: &Path) -> Result<Self> {
        let spec = election_spec(client, election)?;
        let view: ElectionView = get(client, &format!("/v1/elections/{election}"))?;
        let joint_key = match &view.joint_key {
            Some(h) if view.phase == Phase::Open.name() => decode_point(&hex::decode(h)?)
                .map_err(|e| anyhow::anyhow!("the election key: {e}"))?,
            _ => bail!(
                "election {election:?} is {}, not open for voting",
                view.phase
            ),
        };
        let registry: RegistryView = get(
            client,
            &format!("/v1/identity/registries/{}", spec.registry),
        )?;
        let leaves = all_members(client, &spec.registry, registry.size)?;
        let tree = LeanImt::from_leaves(&leaves);
        let root = tree.root().context("empty registry")?;
        if Some(root.to_string()) != registry.root {
            bail!("the registry's members do not hash to its logged root; retry in a moment");
        }
        let shape = spec.ballot_shape(registry.depth as usize)?;
        let (pk, prepared) = ballot_proving_key(client, election, cache, &shape)?;
        Ok(Self {
            spec,
            shape,
            joint_key,
            leaves,
            tree,
            root,
            pk,
            prepared,
        })
    }

    /// The choice vector for `--choose` values (labels or 0-based indices).
    pub fn choices(&self, choose: &[String]) -> Result<Vec<u64>> {
        let mut choices = vec![0u64; self.spec.options.len()];
        for c in choose {
            let i = self
                .spec
                .options
                .iter()
                .position(|o| o == c)
                .or_else(|| c.parse::<usize>().ok().filter(|&i| i < choices.len()))
                .with_context(|| {
                    format!(
                        "{c:?} is not an option of the election ({:?})",
                        self.spec.options
                    )
                })?;
            choices[i] = 1;
        }
        Ok(choices)
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
        let leaf = credential_leaf(identity.commitment(), attributes)?;
        let index = self
            .leaves
            .iter()
            .rposition(|l| *l == leaf)
            .context("your credential is not in the registry (revoked, or not issued yet)")?;
        let randomness: Vec<Scalar> = (0..choices.len()).map(|_| random_scalar(rng)).collect();
        let mut ballot = Ballot {
            election: self.spec.id.clone(),
            root: fr_to_bytes(&self.root),
            nullifier: fr_to_bytes(&identity.nullifier(self.spec.scope_field())),
            ciphertexts: encrypt_ballot(&self.joint_key, &choices, &randomness)?,
            vk_digest: self.prepared.digest(),
            proof: Vec::new(),
        };
        let public = ballot_statement(&self.spec, self.shape, &ballot, self.joint_key)?;
        let witness = BallotWitness {
            eligibility: EligibilityWitness {
                secret: identity.secret_scalar(),
                attributes: attributes.to_vec(),
                path: self
                    .tree
                    .generate_proof(index)?
                    .to_circuit_path(self.shape.eligibility.depth)?,
            },
            choices,
            randomness,
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
}

/// The POST body of a ballot.
pub fn ballot_body(ballot: &Ballot) -> BallotBody {
    BallotBody {
        ballot: BASE64.encode(ballot.encode()),
    }
}

/// Submits a ballot; returns the receipt.
pub fn cast(client: &Client, ballot: &Ballot) -> Result<Receipt> {
    let receipt = client.post_json(
        &format!("/v1/elections/{}/ballots", ballot.election),
        &ballot_body(ballot),
    )?;
    serde_json::from_value(receipt).context("the service's receipt is malformed")
}

/// The ballot circuit's proving key, cached or downloaded, accepted only if
/// its verifying key is the one the log records for `shape`.
fn ballot_proving_key(
    client: &Client,
    election: &str,
    cache: &Path,
    shape: &BallotShape,
) -> Result<(ProvingKey<Bn254>, PreparedKey)> {
    let shape = shape.id();
    let logged: KeyView = get(client, &format!("/v1/identity/keys/{shape}"))?;
    let path = cache.join(format!("{shape}.pk"));
    let pk = match std::fs::read(&path) {
        // Our own cache: it was checked when it was downloaded.
        Ok(bytes) => ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes.as_slice())
            .with_context(|| format!("{} is not a proving key", path.display()))?,
        Err(_) => {
            eprintln!("downloading the proving key of {shape}…");
            let bytes = client.get_bytes(&format!("/v1/elections/{election}/proving-key"))?;
            let pk = zkaudit_prover::read_untrusted_proving_key(&bytes)
                .context("the server's proving key is malformed or inconsistent")?;
            std::fs::create_dir_all(cache)?;
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)?;
            pk
        }
    };
    let prepared = PreparedKey::new(pk.vk.clone())?;
    if hex::encode(prepared.digest()) != logged.vk_digest {
        bail!(
            "the proving key's verifying key (sha3-256 {}) is not the one the log records ({}); delete {} and retry",
            hex::encode(prepared.digest()),
            logged.vk_digest,
            path.display()
        );
    }
    Ok((pk, prepared))
}

/// Runs `zkaudit election …`.
pub fn election(cmd: ElectionCommand) -> Result<()> {
    match cmd {
        ElectionCommand::Create(a) => {
            let client = Client::new(&a.server);
            let registry: RegistryView =
                get(&client, &format!("/v1/identity/registries/{}", a.registry))?;
            let predicates = parse_predicates(&registry.attributes, &a.predicates)?;
            let trustees = a
                .trustees
                .iter()
                .map(|path| {
                    let public: TrusteePublic = serde_json::from_str(
                        &std::fs::read_to_string(path)
                            .with_context(|| format!("reading {}", path.display()))?,
                    )
                    .with_context(|| {
                        format!("{} is not a trustee's public JSON", path.display())
                    })?;
                    public.to_spec()
                })
                .collect::<Result<Vec<_>>>()?;
            let now = crate::clock::now_ms();
            let spec = ElectionSpec {
                id: a.id,
                title: a.title,
                options: a.options,
                min_choices: a.min,
                max_choices: a.max,
                registry: a.registry,
                predicates,
                trustees,
                threshold: a.threshold,
                opens_at_ms: now,
                closes_at_ms: now + a.closes_in_secs.max(1) * 1000,
            };
            spec.validate()?;
            let key = read_signing_key(&a.key)?;
            eprintln!(
                "creating the election (the first election of a ballot shape makes its circuit keys)…"
            );
            let receipt = post_election_record(&client, &key, CREATE, spec.encode())?;
            println!(
                "election {:?} created at log index {}",
                spec.id, receipt.index
            );
            Ok(())
        }
        ElectionCommand::Phase {
            key,
            id,
            phase,
            server,
        } => {
            let phase = Phase::parse(&phase)
                .filter(|p| matches!(p, Phase::KeyCeremony | Phase::Open | Phase::Closed))
                .with_context(|| format!("{phase:?} is not key-ceremony, open or closed"))?;
            let client = Client::new(&server);
            let receipt = post_election_record(
                &client,
                &read_signing_key(&key)?,
                PHASE,
                PhaseChange {
                    election: id.clone(),
                    phase,
                }
                .encode(),
            )?;
            println!(
                "election {id:?} is now {phase} (log index {})",
                receipt.index
            );
            if phase == Phase::Open {
                let view: ElectionView = get(&client, &format!("/v1/elections/{id}"))?;
                println!("qualified dealers {:?}", view.qualified);
                if let Some(k) = view.joint_key {
                    println!("joint election key {k}");
                }
            }
            Ok(())
        }
        ElectionCommand::Show { id, server } => {
            let view: ElectionView = get(&Client::new(&server), &format!("/v1/elections/{id}"))?;
            print_view(&view);
            Ok(())
        }
        ElectionCommand::Export { id, out, server } => {
            let bundle = Client::new(&server).get_json(&format!("/v1/elections/{id}/bundle"))?;
            std::fs::write(&out, serde_json::to_string_pretty(&bundle)?)?;
            println!(
                "election bundle ({} records) in {}; check it with `zkaudit verify {} --log-key …`",
                bundle["evidence"]["entries"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0),
                out.display(),
                out.display()
            );
            Ok(())
        }
    }
}

fn print_view(view: &ElectionView) {
    println!("election {} — {}", view.id, view.title);
    println!("  phase        {}", view.phase);
    println!(
        "  options      {} (mark {} to {})",
        view.options.join(", "),
        view.min_choices,
        view.max_choices
    );
    println!("  registry     {}", view.registry);
    println!(
        "  trustees     {} ({} of {} decrypt)",
        view.trustees
            .iter()
            .map(|t| format!("{}:{}", t.index, t.name))
            .collect::<Vec<_>>()
            .join(", "),
        view.threshold,
        view.trustees.len()
    );
    if !view.qualified.is_empty() {
        println!("  qualified    {:?}", view.qualified);
    }
    if let Some(shape) = &view.ballot_shape {
        println!("  ballot shape {shape}");
    }
    println!("  ballots      {}", view.ballots);
    if !view.decrypted_by.is_empty() {
        println!("  decrypted by {:?}", view.decrypted_by);
    }
    if let Some(t) = &view.tally {
        println!(
            "  tally ({} ballots; trustees used {:?}, rejected {:?}):",
            t.ballots, t.used, t.rejected
        );
        for (option, count) in view.options.iter().zip(&t.counts) {
            println!("    {option:<24} {count}");
        }
    }
}

/// Runs `zkaudit trustee …`.
pub fn trustee(cmd: TrusteeCommand) -> Result<()> {
    let mut rng = rand::rngs::OsRng;
    match cmd {
        TrusteeCommand::Keygen {
            name,
            out,
            public_out,
        } => {
            let key = TrusteeKey::generate(&name, &mut rng)?;
            key.save(&out)?;
            eprintln!("trustee key written to {} (mode 0600)", out.display());
            let public = serde_json::to_string_pretty(&key.public())?;
            if let Some(path) = public_out {
                std::fs::write(&path, &public)?;
                eprintln!("public part written to {}", path.display());
            }
            println!("{public}");
            Ok(())
        }
        TrusteeCommand::Deal(a) => {
            let client = Client::new(&a.server);
            let key = TrusteeKey::load(&a.key)?;
            let spec = election_spec(&client, &a.election)?;
            let dealing = make_dealing(&spec, &key, &mut rng)?;
            let receipt = post_dealing(&client, &key, &spec.id, dealing)?;
            println!(
                "dealing of trustee {} logged at index {}",
                key.index_in(&spec)?,
                receipt.index
            );
            Ok(())
        }
        TrusteeCommand::Check(a) => {
            let client = Client::new(&a.server);
            let key = TrusteeKey::load(&a.key)?;
            let spec = election_spec(&client, &a.election)?;
            let s = check_shares(&client, &key, &spec, &mut rng)?;
            println!("shares that check: from trustees {:?}", s.good);
            if !s.complained.is_empty() {
                println!("complaints published against trustees {:?}", s.complained);
            }
            if !s.already_complained.is_empty() {
                println!(
                    "already complained about trustees {:?}",
                    s.already_complained
                );
            }
            Ok(())
        }
        TrusteeCommand::Decrypt(a) => {
            let client = Client::new(&a.server);
            let key = TrusteeKey::load(&a.key)?;
            let spec = election_spec(&client, &a.election)?;
            let record = partial_decryptions(&client, &key, &spec, &mut rng)?;
            let receipt = post_election_record(&client, &key.signing, DECRYPT, record.encode())?;
            println!(
                "partial decryption of trustee {} logged at index {}",
                key.index_in(&spec)?,
                receipt.index
            );
            let view: ElectionView = get(&client, &format!("/v1/elections/{}", spec.id))?;
            if view.tally.is_some() {
                println!("the election is tallied:");
                print_view(&view);
            }
            Ok(())
        }
    }
}

/// Runs `zkaudit vote`.
pub fn vote(a: VoteArgs) -> Result<()> {
    let wallet = Wallet::load(&a.wallet)?;
    let identity = wallet.identity()?;
    let client = Client::new(&a.server);
    let context = BallotContext::fetch(&client, &a.election, &a.keys)?;
    let credential = wallet
        .credentials
        .iter()
        .rev()
        .find(|c| c.registry == context.spec.registry)
        .with_context(|| {
            format!(
                "the wallet has no credential in registry {:?}",
                context.spec.registry
            )
        })?;
    let choices = context.choices(&a.choose)?;
    let started = std::time::Instant::now();
    let ballot = context.ballot(
        &identity,
        &credential.attributes,
        choices,
        &mut rand::rngs::OsRng,
    )?;
    eprintln!(
        "ballot encrypted and proved in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    if a.no_submit {
        std::fs::write(&a.out, serde_json::to_string_pretty(&ballot_body(&ballot))?)?;
        println!("ballot (not submitted) written to {}", a.out.display());
        return Ok(());
    }
    let receipt = cast(&client, &ballot)?;
    std::fs::write(&a.out, serde_json::to_string_pretty(&receipt)?)?;
    println!(
        "ballot accepted and logged at index {}; receipt in {}",
        receipt.index,
        a.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn trustee_key_round_trips_and_keeps_its_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.key");
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(6);
        let key = TrusteeKey::generate("alice", &mut rng).unwrap();
        key.save(&path).unwrap();
        // Never overwritten.
        assert!(key.save(&path).is_err());
        let loaded = TrusteeKey::load(&path).unwrap();
        assert_eq!(loaded.encryption_key(), key.encryption_key());
        assert_eq!(
            loaded.signing_key().public_key(),
            key.signing_key().public_key()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let secret = file["encryption_secret"].as_str().unwrap();
        assert!(!format!("{loaded:?}").contains(secret));
        let public = serde_json::to_string(&key.public()).unwrap();
        assert!(!public.contains(secret));
        assert!(!public.contains(file["signing_key"].as_str().unwrap()));
        let spec = key.public().to_spec().unwrap();
        assert_eq!(spec.encryption_key, key.encryption_key());
        assert_eq!(spec.signing_key, key.signing_key().public_key());

        // A corrupted file is refused without echoing what is in it.
        let bad = dir.path().join("bad.key");
        std::fs::write(&bad, text.replace(secret, &"f".repeat(64))).unwrap();
        let err = format!("{:#}", TrusteeKey::load(&bad).unwrap_err());
        assert!(err.contains("not a zkaudit trustee key"), "{err}");
        assert!(!err.contains(&"f".repeat(64)));
    }

    #[test]
    fn trustee_public_keys_are_checked() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let key = TrusteeKey::generate("bob", &mut rng).unwrap();
        let mut public = key.public();
        public.encryption_key.replace_range(0..2, "00");
        public.encryption_key.replace_range(2..4, "01");
        assert!(public.to_spec().is_err(), "a point off the curve");
        let mut short = key.public();
        short.signing_key.truncate(62);
        assert!(short.to_spec().is_err());
    }
}
