//! The land commands (`zkaudit land …`).
//!
//! The flow of a transfer (liens and releases work the same way):
//!
//! 1. anyone prepares the terms from the parcel's current title:
//!    `zkaudit land transfer --parcel P --to <buyer key> --to-commitment <c> --out terms.json`;
//! 2. the owner and the buyer each sign the file with their own key file:
//!    `zkaudit land sign terms.json --key owner.key` (the file shows what is signed);
//! 3. the registrar submits it as one record: `zkaudit land submit terms.json --key registrar.key`.
//!
//! `zkaudit land history P` fetches every event of a parcel with inclusion
//! proofs and verifies the chain of owners locally; `zkaudit land verify`
//! does the same for a saved bundle, offline.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::{Args, Subcommand};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use zkaudit_circuits::fr_from_decimal;
use zkaudit_ledger::codec::fr_to_bytes;

use zkaudit_ledger::land::{Action, DOMAIN, PARCEL_REGISTER, ParcelRegistration, Terms};
use zkaudit_ledger::note::parse_verifier_key;
use zkaudit_verifier::land::{HistoryBundle, VerifiedHistory};

use crate::cli::output::{ensure_writable, save_receipt};
use crate::client::keys::hex32;
use crate::client::land::{event_record, next_terms, show};
use crate::client::{Client, DEFAULT_SERVER};
use crate::domains::land::ParcelView;
use crate::keyfile::read_signing_key;

/// Format tag of terms files.
pub const TERMS_FORMAT: &str = "zkaudit-land-terms/v1";

/// `zkaudit land …`.
#[derive(Subcommand, Debug)]
pub enum LandCommand {
    /// Registrar: register a parcel and its first owner (also issues the owner's title credential).
    Register(RegisterArgs),
    /// Prepare the terms of a transfer (to be signed by owner and buyer).
    Transfer(TransferArgs),
    /// Prepare the terms of a lien (to be signed by owner and lienholder).
    Lien(LienArgs),
    /// Prepare the terms of a lien release (to be signed by owner and lienholder).
    Release(ReleaseArgs),
    /// Sign a terms file with your key (owner, buyer or lienholder).
    Sign {
        /// The terms file; the signature is added to it.
        terms: PathBuf,
        /// Your private key file (from `zkaudit keygen`).
        #[arg(long)]
        key: PathBuf,
    },
    /// Registrar: submit fully signed terms as one record; writes the receipt.
    Submit {
        /// The signed terms file.
        terms: PathBuf,
        /// The registrar's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Write the receipt here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The log's base URL.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Show a parcel's current title.
    Show {
        /// Parcel id.
        parcel: String,
        /// The log's base URL.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Fetch a parcel's history with inclusion proofs and verify it locally.
    History(HistoryArgs),
    /// Verify a saved history bundle, offline.
    Verify {
        /// The bundle (from `land history --out`).
        bundle: PathBuf,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        log_key: String,
        /// The registrar's Ed25519 key (hex or signed-note verifier key).
        #[arg(long)]
        registrar: String,
    },
    /// Print the Ed25519 public key (hex) of a key file, to give to a registrar or seller.
    Pubkey {
        /// The private key file.
        #[arg(long)]
        key: PathBuf,
    },
}

/// `zkaudit land register`.
#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// The registrar's private key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Parcel id, `[A-Za-z0-9-.]`.
    #[arg(long)]
    pub parcel: String,
    /// District code.
    #[arg(long)]
    pub district: u64,
    /// Area in m².
    #[arg(long)]
    pub area: u64,
    /// A deed document's digest, hex (repeat).
    #[arg(long = "doc")]
    pub documents: Vec<String>,
    /// The title registry (an identity registry with attributes district,area_m2).
    #[arg(long)]
    pub registry: String,
    /// The owner's Ed25519 key (hex or signed-note verifier key).
    #[arg(long)]
    pub owner: String,
    /// The owner's identity commitment (decimal, from `zkaudit id show`).
    #[arg(long)]
    pub owner_commitment: String,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit land transfer`.
#[derive(Args, Debug)]
pub struct TransferArgs {
    /// Parcel id.
    #[arg(long)]
    pub parcel: String,
    /// The buyer's Ed25519 key (hex or signed-note verifier key).
    #[arg(long)]
    pub to: String,
    /// The buyer's identity commitment (decimal).
    #[arg(long)]
    pub to_commitment: String,
    /// The declared price.
    #[arg(long)]
    pub price: Option<u64>,
    /// Where to write the terms.
    #[arg(long, default_value = "terms.json")]
    pub out: PathBuf,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit land lien`.
#[derive(Args, Debug)]
pub struct LienArgs {
    /// Parcel id.
    #[arg(long)]
    pub parcel: String,
    /// The lienholder's Ed25519 key (hex or signed-note verifier key).
    #[arg(long)]
    pub lienholder: String,
    /// The secured amount.
    #[arg(long)]
    pub amount: u64,
    /// Where to write the terms.
    #[arg(long, default_value = "terms.json")]
    pub out: PathBuf,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit land release`.
#[derive(Args, Debug)]
pub struct ReleaseArgs {
    /// Parcel id.
    #[arg(long)]
    pub parcel: String,
    /// The lien id (hex, from `land show`).
    #[arg(long)]
    pub lien: String,
    /// Where to write the terms.
    #[arg(long, default_value = "terms.json")]
    pub out: PathBuf,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit land history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Parcel id.
    pub parcel: String,
    /// Pin the log's verifier key (default: the one the server announces).
    #[arg(long)]
    pub log_key: Option<String>,
    /// Pin the registrar's key (default: the configured authority that registered the parcel).
    #[arg(long)]
    pub registrar: Option<String>,
    /// Also write the bundle here (to verify later with `land verify`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the verified history as an ISO 19152 LADM document (JSON,
    /// each source with its log evidence) instead of the report.
    #[arg(long)]
    pub ladm: bool,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// A terms file: what the parties sign, and their signatures.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TermsFile {
    /// [`TERMS_FORMAT`].
    pub format: String,
    /// What is agreed, in words (informative; the signed bytes are `terms`).
    pub summary: String,
    /// The canonical terms encoding, base64: this is what is signed.
    pub terms: String,
    /// The current owner's key, hex (first signer).
    pub owner_key: String,
    /// The counterparty's key, hex (buyer or lienholder; second signer).
    pub counterparty_key: String,
    /// The owner's signature, hex.
    pub owner_signature: Option<String>,
    /// The counterparty's signature, hex.
    pub counterparty_signature: Option<String>,
}

impl TermsFile {
    fn load(path: &Path) -> Result<(Self, Terms)> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading terms {}", path.display()))?;
        let file: TermsFile = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a terms file", path.display()))?;
        if file.format != TERMS_FORMAT {
            bail!("{} is not a {TERMS_FORMAT} file", path.display());
        }
        let bytes = BASE64.decode(&file.terms).context("terms are not base64")?;
        let terms = Terms::decode(&bytes).context("terms do not decode")?;
        Ok((file, terms))
    }
}

/// Parses a party's Ed25519 key: 64 hex characters or a signed-note verifier key.
pub fn parse_party_key(s: &str) -> Result<VerifyingKey> {
    if s.contains('+') {
        return Ok(*parse_verifier_key(s)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .public_key());
    }
    let bytes: [u8; 32] = hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{s:?} is neither 32 bytes of hex nor a verifier key"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| anyhow::anyhow!("{s:?} is not an Ed25519 key"))
}

fn commitment_bytes(decimal: &str) -> Result<[u8; 32]> {
    let value = fr_from_decimal(decimal)
        .map_err(|_| anyhow::anyhow!("{decimal:?} is not a canonical field element (decimal)"))?;
    Ok(fr_to_bytes(&value))
}

fn write_terms(
    out: &Path,
    view: &ParcelView,
    terms: &Terms,
    counterparty: &str,
    summary: String,
) -> Result<()> {
    let file = TermsFile {
        format: TERMS_FORMAT.into(),
        summary,
        terms: BASE64.encode(terms.encode()),
        owner_key: view.owner_key.clone(),
        counterparty_key: counterparty.to_owned(),
        owner_signature: None,
        counterparty_signature: None,
    };
    std::fs::write(out, serde_json::to_string_pretty(&file)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("terms written to {}: {}", out.display(), file.summary);
    Ok(())
}

/// Verifies a bundle and prints the chain of owners.
fn report(verified: &VerifiedHistory) {
    super::output::print_lines(&zkaudit_verifier::explain::land(verified));
}

/// Runs `zkaudit land …`.
pub fn run(cmd: LandCommand) -> Result<()> {
    match cmd {
        LandCommand::Register(a) => {
            let key = read_signing_key(&a.key)?;
            let registration = ParcelRegistration {
                parcel: a.parcel,
                district: a.district,
                area_m2: a.area,
                documents: a
                    .documents
                    .iter()
                    .map(|d| hex32("document digest", d))
                    .collect::<Result<_>>()?,
                title_registry: a.registry,
                owner: parse_party_key(&a.owner)?.to_bytes(),
                owner_commitment: commitment_bytes(&a.owner_commitment)?,
            };
            ParcelRegistration::decode(&registration.encode()).context("invalid registration")?;
            let client = Client::new(&a.server);
            let record = client.sign(&key, DOMAIN, PARCEL_REGISTER, registration.encode())?;
            let receipt = client.append(&record)?;
            println!(
                "ok: parcel {} registered at log index {}",
                registration.parcel, receipt.index
            );
            Ok(())
        }
        LandCommand::Transfer(a) => {
            let view = show(&Client::new(&a.server), &a.parcel)?;
            let buyer = parse_party_key(&a.to)?;
            let terms = next_terms(
                &view,
                Action::Transfer {
                    new_owner: buyer.to_bytes(),
                    new_commitment: commitment_bytes(&a.to_commitment)?,
                    price: a.price,
                },
            )?;
            let price = a.price.map(|p| format!(" for {p}")).unwrap_or_default();
            let summary = format!(
                "transfer parcel {} (version {} -> {}) from {} to {}{price}",
                view.parcel,
                view.version,
                terms.version,
                view.owner_key,
                hex::encode(buyer.as_bytes())
            );
            write_terms(
                &a.out,
                &view,
                &terms,
                &hex::encode(buyer.as_bytes()),
                summary,
            )
        }
        LandCommand::Lien(a) => {
            let view = show(&Client::new(&a.server), &a.parcel)?;
            let holder = parse_party_key(&a.lienholder)?;
            let terms = next_terms(
                &view,
                Action::Lien {
                    lienholder: holder.to_bytes(),
                    amount: a.amount,
                },
            )?;
            let summary = format!(
                "lien of {} on parcel {} (version {} -> {}) in favour of {}",
                a.amount,
                view.parcel,
                view.version,
                terms.version,
                hex::encode(holder.as_bytes())
            );
            write_terms(
                &a.out,
                &view,
                &terms,
                &hex::encode(holder.as_bytes()),
                summary,
            )
        }
        LandCommand::Release(a) => {
            let view = show(&Client::new(&a.server), &a.parcel)?;
            let lien = view
                .liens
                .iter()
                .find(|l| l.id == a.lien)
                .with_context(|| format!("parcel {} has no active lien {}", a.parcel, a.lien))?;
            let terms = next_terms(
                &view,
                Action::Release {
                    lien: hex32("lien id", &a.lien)?,
                },
            )?;
            let summary = format!(
                "release of lien {} on parcel {} (version {} -> {})",
                a.lien, view.parcel, view.version, terms.version
            );
            let holder = lien.holder_key.clone();
            write_terms(&a.out, &view, &terms, &holder, summary)
        }
        LandCommand::Sign { terms: path, key } => {
            let (mut file, terms) = TermsFile::load(&path)?;
            let key = read_signing_key(&key)?;
            let me = hex::encode(key.public_key().as_bytes());
            let signature = hex::encode(terms.sign(&key));
            let role = terms.action.parties();
            if me == file.owner_key {
                file.owner_signature = Some(signature);
                eprintln!("signing as {}: {}", role[0], file.summary);
            } else if me == file.counterparty_key {
                file.counterparty_signature = Some(signature);
                eprintln!("signing as {}: {}", role[1], file.summary);
            } else {
                bail!(
                    "your key {me} is neither the owner's nor the {}'s in these terms",
                    role[1]
                );
            }
            std::fs::write(&path, serde_json::to_string_pretty(&file)?)?;
            println!("ok: signature added to {}", path.display());
            Ok(())
        }
        LandCommand::Submit {
            terms: path,
            key,
            out,
            server,
        } => {
            if let Some(out) = &out {
                ensure_writable(out)?;
            }
            let (file, terms) = TermsFile::load(&path)?;
            let message = terms.signing_message();
            let parties = terms.action.parties();
            let mut signatures = [[0u8; 64]; 2];
            for (i, (sig, party_key)) in [
                (&file.owner_signature, &file.owner_key),
                (&file.counterparty_signature, &file.counterparty_key),
            ]
            .into_iter()
            .enumerate()
            {
                let sig = sig
                    .as_ref()
                    .with_context(|| format!("the {} has not signed yet", parties[i]))?;
                let bytes: [u8; 64] = hex::decode(sig)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .with_context(|| format!("the {}'s signature is malformed", parties[i]))?;
                parse_party_key(party_key)?
                    .verify_strict(&message, &Signature::from_bytes(&bytes))
                    .map_err(|_| {
                        anyhow::anyhow!("the {}'s signature does not verify", parties[i])
                    })?;
                signatures[i] = bytes;
            }
            let registrar = read_signing_key(&key)?;
            let client = Client::new(&server);
            let view = show(&client, &terms.parcel)?;
            let record = event_record(&client, terms, signatures, view.owner_leaf, &registrar)?;
            let receipt = client.append(&record)?;
            println!(
                "ok: {} on parcel {} logged at index {}",
                record.kind(),
                view.parcel,
                receipt.index
            );
            match out {
                Some(out) => save_receipt(&out, &receipt),
                None => Ok(()),
            }
        }
        LandCommand::Show { parcel, server } => {
            let view = show(&Client::new(&server), &parcel)?;
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        LandCommand::History(a) => history(a),
        LandCommand::Verify {
            bundle,
            log_key,
            registrar,
        } => {
            let text = std::fs::read_to_string(&bundle)
                .with_context(|| format!("reading {}", bundle.display()))?;
            let bundle: HistoryBundle =
                serde_json::from_str(&text).context("not a land history bundle")?;
            let log_key = crate::client::keys::read_key_arg(&log_key)?;
            let verified = bundle
                .verify(&log_key, &parse_party_key(&registrar)?)
                .context("the history does NOT verify")?;
            report(&verified);
            Ok(())
        }
        LandCommand::Pubkey { key } => {
            println!(
                "{}",
                hex::encode(read_signing_key(&key)?.public_key().as_bytes())
            );
            Ok(())
        }
    }
}

fn history(a: HistoryArgs) -> Result<()> {
    let client = Client::new(&a.server);
    let bundle: HistoryBundle =
        serde_json::from_value(client.get_json(&format!("/v1/land/parcels/{}/history", a.parcel))?)
            .context("the server's answer is not a history bundle")?;
    let log_key = crate::client::keys::log_key(&client, a.log_key.as_deref())?;
    let registrar = match a.registrar {
        Some(r) => parse_party_key(&r)?,
        None => {
            let view = show(&client, &a.parcel)?;
            let authorities = client.get_json("/v1/authorities")?;
            let configured = authorities.as_array().is_some_and(|list| {
                list.iter()
                    .any(|x| x["public_key"].as_str() == Some(view.registrar_key.as_str()))
            });
            if !configured {
                bail!("the parcel's registrar is not a configured authority of this log");
            }
            eprintln!(
                "note: registrar {} ({}) taken from the log's configuration; pin it with --registrar",
                view.registrar.as_deref().unwrap_or("?"),
                view.registrar_key
            );
            parse_party_key(&view.registrar_key)?
        }
    };
    let verified = bundle
        .verify(&log_key, &registrar)
        .context("the history does NOT verify")?;
    if let Some(out) = &a.out {
        std::fs::write(out, serde_json::to_string_pretty(&bundle)?)?;
    }
    if a.ladm {
        let document = zkaudit_verifier::land::history_ladm(&bundle, &verified)
            .context("the history cannot be exported")?;
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    report(&verified);
    Ok(())
}
