//! A trustee's side of an election: its key file (mode 0600; errors name
//! the file, never its contents), its dealing, the check of the shares
//! dealt to it, and its partial decryption of the closed election's sums.
//! Its polynomial is drawn, used and dropped inside [`make_dealing`]; its
//! key share is recomputed from the logged dealings when it decrypts.

use std::path::Path;

use crate::domains::election::AggregateView;
use crate::keyfile::write_secret_file;

use anyhow::{Context, Result, bail};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::elgamal::{
    Ciphertext, Scalar, decode_point, decode_scalar, encode_point, encode_scalar, public_key,
    random_scalar,
};
use zkaudit_circuits::threshold::ThresholdError;
use zkaudit_circuits::threshold::decrypt::partial_decrypt;
use zkaudit_circuits::threshold::dkg::{
    Complaint, DealerSecret, Dealing, deal, key_share, qualify, receive_share,
};
use zkaudit_ledger::election::{
    COMPLAINT, ComplaintRecord, DEAL, DealRecord, DecryptRecord, ElectionSpec, Phase, TrusteeSpec,
};

use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_verifier::Receipt;

use crate::client::Client;

use super::{ceremony, post_election_record};

const TRUSTEE_KEY_FORMAT: &str = "zkaudit-trustee-key/v1";

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
    post_election_record(client, key.signing_key(), DEAL, record.encode())
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
                post_election_record(client, key.signing_key(), COMPLAINT, record.encode())?;
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
    let aggregate: AggregateView = client.get(&format!("/v1/elections/{}/aggregate", spec.id))?;
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
    if sums.len() != spec.option_count() {
        bail!(
            "the service published {} sums for {} options",
            sums.len(),
            spec.option_count()
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
