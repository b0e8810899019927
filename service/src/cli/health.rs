//! `zkaudit health …`: the health domain's commands.
//!
//! * hospitals: `record` (commit a record version: only digests leave the
//!   machine), `access` (log a read) and `import-fhir` (log reads from the
//!   FHIR `AuditEvent`s the hospital's systems write);
//! * patients: `consent grant|revoke` with their own key, and `access-log`
//!   (every access to their records, with inclusion proofs, checked
//!   offline, flagged where no valid consent covered it);
//! * the supply chain: `lot` (manufacturer), `transfer countersign`
//!   (receiver) then `transfer send` (sender), `administer` (site), and
//!   `trace` (the whole chain of custody, checked offline), and
//!   `import-epcis` (each party's events of a GS1 EPCIS 2.0 document).
//!
//! Keys are the `zkaudit keygen` files; `zkaudit health key-id` prints the
//! hex public key other parties name you by (a patient's pseudonym, a
//! custodian's id).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use zkaudit_ledger::codec::fr_from_bytes;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, CONSENT_GRANT, CONSENT_REVOKE, ConsentGrant, ConsentRevoke, DOMAIN,
    LOT_ADMINISTER, LOT_REGISTER, LOT_TRANSFER, LotAdminister, LotRegister, LotTransfer,
    RECORD_COMMIT, RecordCommit, ciphertext_digest, commitment_bytes, parse_patient, patient_hex,
};

use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_verifier::Receipt;
use zkaudit_verifier::health::{access_fhir, trace_epcis, verify_access_log, verify_trace};

use crate::cli::input::read_input;
use crate::cli::output::print_logged;
use crate::client::health::epcis::{EpcisOptions, import_epcis};
use crate::client::health::{CountersignedTransfer, TRANSFER_FORMAT, import_audit_events};
use crate::client::{Client, DEFAULT_SERVER};
use crate::clock::now_ms;
use crate::domains::health::{AccessLogView, TraceView};
use crate::keyfile::{read_signing_key, write_secret_file};

const DAY_MS: u64 = 86_400_000;

/// `zkaudit health …`.
#[derive(Subcommand, Debug)]
pub enum HealthCommand {
    /// Print the hex public key of a key file (a patient's pseudonym, a custodian's id).
    KeyId {
        /// Key file from `zkaudit keygen`.
        #[arg(long)]
        key: PathBuf,
    },
    /// Hospital: commit one version of an encrypted medical record (digests only).
    Record(RecordArgs),
    /// Patient: grant or revoke read access, signed with the patient's own key.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Hospital: log an access to a record version.
    Access(AccessArgs),
    /// Maker, sender or site: log your events of a GS1 EPCIS 2.0 document
    /// (commissioning, shipping with the receiver's countersignature,
    /// dispensing); a receiver countersigns the shipments to them with
    /// `--countersign-out`.
    ImportEpcis {
        /// Your key and the server.
        #[command(flatten)]
        signer: Signer,
        /// The EPCIS document (JSON-LD; `-`: stdin).
        file: PathBuf,
        /// Receivers: countersign every shipment to you into this folder
        /// (send each file to its sender); nothing is logged.
        #[arg(long)]
        countersign_out: Option<PathBuf>,
        /// Senders: the receivers' countersigned transfers (repeatable).
        #[arg(long = "countersigned")]
        countersigned: Vec<PathBuf>,
        /// The journal of what was logged per event (re-runs log nothing twice).
        #[arg(long, default_value = "epcis-journal.json")]
        journal: PathBuf,
        /// Print what would be logged, log nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Hospital: log accesses from FHIR: an `AuditEvent` (IHE BALP patient
    /// read) or a `Bundle` of them, read whole before anything is sent;
    /// accesses already logged are skipped.
    ImportFhir {
        /// Hospital key and server.
        #[command(flatten)]
        signer: Signer,
        /// The FHIR JSON file (`-`: stdin).
        file: PathBuf,
        /// Print what would be logged, log nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Patient: every access to your records, with inclusion proofs, checked offline.
    AccessLog(AccessLogArgs),
    /// Manufacturer: register a vaccine lot.
    Lot(LotArgs),
    /// Custody transfers: the receiver countersigns, then the sender sends.
    #[command(subcommand)]
    Transfer(TransferCommand),
    /// Site: log doses administered from a lot.
    Administer(AdministerArgs),
    /// A lot's whole chain of custody, with inclusion proofs, checked offline.
    Trace(TraceArgs),
}

/// Options every write shares.
#[derive(Args, Debug)]
pub struct Signer {
    /// The signer's private key file.
    #[arg(long)]
    pub key: PathBuf,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// One version of one patient's record, written about by a hospital.
#[derive(Args, Debug)]
pub struct RecordVersionArgs {
    /// Hospital key and server.
    #[command(flatten)]
    pub signer: Signer,
    /// The patient's pseudonymous key (hex, from `health key-id`).
    #[arg(long)]
    pub patient: String,
    /// The record id (no personal data).
    #[arg(long)]
    pub record: String,
    /// The record's version (1, then consecutive).
    #[arg(long)]
    pub version: u32,
}

/// `zkaudit health record`.
#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The hospital and the record version committed.
    #[command(flatten)]
    pub at: RecordVersionArgs,
    /// The ENCRYPTED record; only its digest is logged.
    #[arg(long)]
    pub file: PathBuf,
    /// Where to keep the commitment's salt (secret, mode 0600; needed to open it in a proof).
    #[arg(long)]
    pub salt_out: PathBuf,
}

/// `zkaudit health consent …`.
#[derive(Subcommand, Debug)]
pub enum ConsentCommand {
    /// Grant `grantee` access for `purpose` until a time.
    Grant {
        /// Patient key and server.
        #[command(flatten)]
        signer: Signer,
        /// Your id for this consent (to revoke it later).
        #[arg(long)]
        consent: String,
        /// Who may read.
        #[arg(long)]
        grantee: String,
        /// For what purpose (e.g. treatment).
        #[arg(long)]
        purpose: String,
        /// Only this record (default: all your records).
        #[arg(long)]
        record: Option<String>,
        /// Valid for this many days.
        #[arg(long, default_value_t = 365)]
        days: u64,
    },
    /// Revoke a consent you granted.
    Revoke {
        /// Patient key and server.
        #[command(flatten)]
        signer: Signer,
        /// The consent id.
        #[arg(long)]
        consent: String,
    },
}

/// `zkaudit health access`.
#[derive(Args, Debug)]
pub struct AccessArgs {
    /// The hospital and the record version read.
    #[command(flatten)]
    pub at: RecordVersionArgs,
    /// Who read it.
    #[arg(long)]
    pub accessor: String,
    /// Purpose given.
    #[arg(long)]
    pub purpose: String,
    /// When (Unix ms; default now).
    #[arg(long)]
    pub at_ms: Option<u64>,
}

/// `zkaudit health access-log`.
#[derive(Args, Debug)]
pub struct AccessLogArgs {
    /// The patient's key (hex), or the patient's key file.
    #[arg(long)]
    pub patient: String,
    /// Print the verified log as an HL7 FHIR R5 Bundle (AuditEvent,
    /// Consent, Provenance with the log evidence) instead of the report.
    #[arg(long)]
    pub fhir: bool,
    /// Where to fetch the extract and how to check it.
    #[command(flatten)]
    pub fetch: ExtractArgs,
}

/// Fetching a verified extract: the server, the pinned log key, a copy.
#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// The log's verifier key or a file holding it (default: ask the server, unpinned).
    #[arg(long)]
    pub log_key: Option<String>,
    /// Also write the extract (entries and proofs) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit health lot`.
#[derive(Args, Debug)]
pub struct LotArgs {
    /// Manufacturer key and server.
    #[command(flatten)]
    pub signer: Signer,
    /// Lot number.
    #[arg(long)]
    pub lot: String,
    /// Product code.
    #[arg(long)]
    pub product: String,
    /// Doses in the lot.
    #[arg(long)]
    pub quantity: u64,
    /// Expires in this many days.
    #[arg(long)]
    pub expires_in_days: u64,
}

/// `zkaudit health transfer …`.
#[derive(Subcommand, Debug)]
pub enum TransferCommand {
    /// Receiver: countersign a transfer you are about to receive (send the file to the sender).
    Countersign {
        /// The receiver's key file.
        #[arg(long)]
        key: PathBuf,
        /// The sender's key (hex).
        #[arg(long)]
        sender: String,
        /// Lot number.
        #[arg(long)]
        lot: String,
        /// Doses received.
        #[arg(long)]
        quantity: u64,
        /// Where to write the countersigned transfer.
        #[arg(long, default_value = "transfer.json")]
        out: PathBuf,
    },
    /// Sender: sign and log a countersigned transfer (within the log's freshness window).
    Send {
        /// Sender key and server.
        #[command(flatten)]
        signer: Signer,
        /// The file from `transfer countersign`.
        #[arg(default_value = "transfer.json")]
        file: PathBuf,
    },
}

/// `zkaudit health administer`.
#[derive(Args, Debug)]
pub struct AdministerArgs {
    /// Site key and server.
    #[command(flatten)]
    pub signer: Signer,
    /// Lot number.
    #[arg(long)]
    pub lot: String,
    /// Doses given.
    #[arg(long)]
    pub doses: u64,
}

/// `zkaudit health trace`.
#[derive(Args, Debug)]
pub struct TraceArgs {
    /// Lot number.
    pub lot: String,
    /// The manufacturer's key (hex) the lot must be registered by.
    #[arg(long)]
    pub manufacturer: Option<String>,
    /// Print the verified chain as a GS1 EPCIS 2.0 document (JSON-LD, each
    /// event with its log evidence) instead of the report.
    #[arg(long)]
    pub epcis: bool,
    /// Where to fetch the extract and how to check it.
    #[command(flatten)]
    pub fetch: ExtractArgs,
}

fn post(signer: &Signer, kind: &str, timestamp_ms: u64, payload: Vec<u8>) -> Result<Receipt> {
    let key = read_signing_key(&signer.key)?;
    let client = Client::new(&signer.server);
    let record = Record::signed(client.origin()?, DOMAIN, kind, timestamp_ms, payload, &key)?;
    let receipt = client.append(&record)?;
    print_logged(&format!("{DOMAIN}/{kind}"), &receipt);
    Ok(receipt)
}

fn patient_arg(arg: &str) -> Result<ed25519_dalek::VerifyingKey> {
    let path = std::path::Path::new(arg);
    if path.is_file() {
        return Ok(read_signing_key(path)?.record_key());
    }
    Ok(parse_patient(arg)?)
}

/// Runs `zkaudit health …`.
pub fn run(cmd: HealthCommand) -> Result<()> {
    match cmd {
        HealthCommand::KeyId { key } => {
            println!("{}", patient_hex(&read_signing_key(&key)?.record_key()));
            Ok(())
        }
        HealthCommand::Record(a) => {
            let ciphertext =
                std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
            let digest = ciphertext_digest(&ciphertext);
            let mut salt_bytes = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt_bytes[1..]);
            let salt = fr_from_bytes("salt", &salt_bytes)?;
            write_secret_file(&a.salt_out, &hex::encode(salt_bytes))?;
            let commit = RecordCommit {
                patient: parse_patient(&a.at.patient)?,
                record: a.at.record,
                version: a.at.version,
                ciphertext_sha3: digest,
                commitment: commitment_bytes(&digest, salt),
            };
            post(&a.at.signer, RECORD_COMMIT, now_ms(), commit.encode())?;
            eprintln!("salt written to {} (mode 0600)", a.salt_out.display());
            Ok(())
        }
        HealthCommand::Consent(ConsentCommand::Grant {
            signer,
            consent,
            grantee,
            purpose,
            record,
            days,
        }) => {
            let now = now_ms();
            let grant = ConsentGrant {
                consent,
                grantee,
                purpose,
                record,
                valid_until_ms: now.saturating_add(days.saturating_mul(DAY_MS)),
            };
            post(&signer, CONSENT_GRANT, now, grant.encode()).map(drop)
        }
        HealthCommand::Consent(ConsentCommand::Revoke { signer, consent }) => post(
            &signer,
            CONSENT_REVOKE,
            now_ms(),
            ConsentRevoke { consent }.encode(),
        )
        .map(drop),
        HealthCommand::Access(a) => {
            let now = now_ms();
            let access = AccessEvent {
                patient: parse_patient(&a.at.patient)?,
                record: a.at.record,
                version: a.at.version,
                accessor: a.accessor,
                purpose: a.purpose,
                at_ms: a.at_ms.unwrap_or(now),
            };
            post(&a.at.signer, ACCESS, now, access.encode()).map(drop)
        }
        HealthCommand::ImportFhir {
            signer,
            file,
            dry_run,
        } => {
            let document: serde_json::Value =
                serde_json::from_str(&read_input(&file)?).context("the file is not JSON")?;
            let key = read_signing_key(&signer.key)?;
            let outcome =
                import_audit_events(&Client::new(&signer.server), &key, &document, dry_run)?;
            for line in &outcome.lines {
                println!("{line}");
            }
            println!(
                "{} access(es) {}, {} already logged",
                outcome.logged,
                if dry_run {
                    "would be logged (dry run)"
                } else {
                    "logged"
                },
                outcome.already
            );
            Ok(())
        }
        HealthCommand::ImportEpcis {
            signer,
            file,
            countersign_out,
            countersigned,
            journal,
            dry_run,
        } => {
            let document: serde_json::Value =
                serde_json::from_str(&read_input(&file)?).context("the document is not JSON")?;
            let countersigned = countersigned
                .iter()
                .map(|path| {
                    let file: CountersignedTransfer =
                        serde_json::from_str(&std::fs::read_to_string(path)?).with_context(
                            || format!("{} is not a countersigned transfer", path.display()),
                        )?;
                    if file.format != TRANSFER_FORMAT {
                        bail!("{} is not a {TRANSFER_FORMAT} file", path.display());
                    }
                    Ok(file)
                })
                .collect::<Result<Vec<_>>>()?;
            let key = read_signing_key(&signer.key)?;
            let outcome = import_epcis(
                &Client::new(&signer.server),
                &key,
                &document,
                &EpcisOptions {
                    countersigned: &countersigned,
                    countersign_out: countersign_out.as_deref(),
                    journal: &journal,
                    dry_run,
                },
            )?;
            for line in &outcome.lines {
                println!("{line}");
            }
            println!(
                "{} event(s) {}, {} already logged",
                outcome.done,
                match (dry_run, countersign_out.is_some()) {
                    (true, _) => "would be handled (dry run)",
                    (false, true) => "countersigned",
                    (false, false) => "logged",
                },
                outcome.already
            );
            Ok(())
        }
        HealthCommand::AccessLog(a) => access_log(a),
        HealthCommand::Lot(a) => {
            let now = now_ms();
            let lot = LotRegister {
                lot: a.lot,
                product: a.product,
                quantity: a.quantity,
                expiry_ms: now.saturating_add(a.expires_in_days.saturating_mul(DAY_MS)),
            };
            post(&a.signer, LOT_REGISTER, now, lot.encode()).map(drop)
        }
        HealthCommand::Transfer(TransferCommand::Countersign {
            key,
            sender,
            lot,
            quantity,
            out,
        }) => {
            let receiver = read_signing_key(&key)?;
            let sender = parse_patient(&sender).context("--sender")?;
            let timestamp_ms = now_ms();
            let transfer =
                LotTransfer::countersigned(&lot, quantity, &sender, timestamp_ms, &receiver);
            let file = CountersignedTransfer {
                format: TRANSFER_FORMAT.into(),
                sender: patient_hex(&sender),
                timestamp_ms,
                payload: hex::encode(transfer.encode()),
            };
            std::fs::write(&out, serde_json::to_string_pretty(&file)?)?;
            eprintln!(
                "countersigned; the sender logs it with `zkaudit health transfer send {}`",
                out.display()
            );
            Ok(())
        }
        HealthCommand::Transfer(TransferCommand::Send { signer, file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let t: CountersignedTransfer = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a countersigned transfer", file.display()))?;
            if t.format != TRANSFER_FORMAT {
                bail!("{} is not a {TRANSFER_FORMAT} file", file.display());
            }
            let payload = hex::decode(&t.payload).context("payload is not hex")?;
            let transfer = LotTransfer::decode(&payload)?;
            let key = read_signing_key(&signer.key)?;
            if patient_hex(&key.record_key()) != t.sender {
                bail!(
                    "the receiver countersigned a transfer from another sender ({})",
                    t.sender
                );
            }
            post(&signer, LOT_TRANSFER, t.timestamp_ms, transfer.encode()).map(drop)
        }
        HealthCommand::Administer(a) => {
            let payload = LotAdminister {
                lot: a.lot,
                doses: a.doses,
            };
            post(&a.signer, LOT_ADMINISTER, now_ms(), payload.encode()).map(drop)
        }
        HealthCommand::Trace(a) => trace(a),
    }
}

fn access_log(a: AccessLogArgs) -> Result<()> {
    let client = Client::new(&a.fetch.server);
    let patient = patient_arg(&a.patient)?;
    let log_key = crate::client::keys::log_key(&client, a.fetch.log_key.as_deref())?;
    let view: AccessLogView = serde_json::from_value(client.get_json(&format!(
        "/v1/health/patients/{}/access-log",
        patient_hex(&patient)
    ))?)?;
    if let Some(out) = &a.fetch.out {
        std::fs::write(out, serde_json::to_string_pretty(&view.extract)?)?;
    }
    let (verified, audit) = verify_access_log(&view.extract, &log_key, &patient)?;
    if a.fhir {
        let bundle = access_fhir(&view.extract, &verified.entries, &patient, now_ms())?;
        println!("{}", serde_json::to_string_pretty(&bundle)?);
        return Ok(());
    }
    println!(
        "{} entries about this patient, every one included in checkpoint {} of {}",
        verified.entries.len(),
        verified.checkpoint.size,
        verified.checkpoint.origin
    );
    let mut flagged = 0;
    for a in &audit {
        let verdict = match &a.verdict {
            zkaudit_ledger::health::AccessVerdict::Consented { consent } => {
                format!("ok (consent {consent})")
            }
            zkaudit_ledger::health::AccessVerdict::Flagged { reason } => {
                flagged += 1;
                format!("FLAGGED: {reason}")
            }
        };
        println!(
            "  #{} {} read {} v{} for {} at {} ms: {verdict}",
            a.index,
            a.access.accessor,
            a.access.record,
            a.access.version,
            a.access.purpose,
            a.access.at_ms
        );
    }
    println!("{} accesses, {flagged} flagged", audit.len());
    Ok(())
}

fn trace(a: TraceArgs) -> Result<()> {
    let client = Client::new(&a.fetch.server);
    let log_key = crate::client::keys::log_key(&client, a.fetch.log_key.as_deref())?;
    let view: TraceView =
        serde_json::from_value(client.get_json(&format!("/v1/health/lots/{}/trace", a.lot))?)?;
    if let Some(out) = &a.fetch.out {
        std::fs::write(out, serde_json::to_string_pretty(&view.extract)?)?;
    }
    let (verified, report) = verify_trace(&view.extract, &log_key, &a.lot)
        .with_context(|| format!("lot {} fails its chain-of-custody check", a.lot))?;
    if let Some(m) = &a.manufacturer {
        let expected = parse_patient(m).context("--manufacturer")?;
        if report.lot.manufacturer != expected {
            bail!(
                "lot {} was registered by {}, not the manufacturer given",
                a.lot,
                patient_hex(&report.lot.manufacturer)
            );
        }
    }
    if a.epcis {
        let document = trace_epcis(&view.extract, &verified.entries, &a.lot, now_ms())
            .with_context(|| format!("lot {} cannot be exported", a.lot))?;
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    super::output::print_lines(&zkaudit_verifier::explain::trace(&verified, &report));
    Ok(())
}
