//! `zkaudit verify`: checks, offline, a receipt (inclusion, the log's
//! signature, optionally consistency with an earlier checkpoint and a
//! witness quorum) or a bundle (claim, election, funds).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use zkaudit_circuits::elgamal::decode_point;
use zkaudit_verifier::claim::{CLAIM_BUNDLE_FORMAT, ClaimBundle};
use zkaudit_verifier::election::challenge::{BallotChallenge, CHALLENGE_FORMAT};
use zkaudit_verifier::election::{ELECTION_BUNDLE_FORMAT, ElectionBundle, ElectionReport};
use zkaudit_verifier::explain::{self, Level};
use zkaudit_verifier::{Receipt, VerifiedReceipt, verify_extension, verify_quorum};

use super::output::print_lines;
use crate::client::Client;
use crate::client::keys::read_key_arg;

/// `zkaudit verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A receipt (JSON from `log append` or the API), a bundle (`zkaudit
    /// claim --bundle`, `election bundle`, `funds bundle`) or an opened
    /// ballot (`zkaudit vote --challenge`).
    pub file: PathBuf,
    /// The log's verifier key, or a file containing it (not needed for a challenge).
    #[arg(long, required_unless_present = "challenge")]
    pub log_key: Option<String>,
    /// The file is an opened ballot (`vote --challenge`): check that it
    /// encrypts exactly the choices it reveals under the election's key.
    #[arg(long)]
    pub challenge: bool,
    /// With --challenge: the service this device fetches the election's key
    /// and option labels from (independently of the voting client).
    #[arg(long, env = "ZKAUDIT_SERVER")]
    pub server: Option<String>,
    /// With --challenge: the election key (hex), obtained some other way
    /// (takes precedence over --server).
    #[arg(long, requires = "challenge")]
    pub election_key: Option<String>,
    /// A checkpoint seen earlier: check the receipt's checkpoint extends it.
    #[arg(long, requires = "consistency")]
    pub previous: Option<PathBuf>,
    /// Consistency proof (JSON from `log consistency`) from --previous to the receipt's checkpoint.
    #[arg(long, requires = "previous")]
    pub consistency: Option<PathBuf>,
    /// With a ballot receipt: the election's bundle (`election bundle`),
    /// to learn whether the ballot counts, was superseded by a later one,
    /// or was left out of the record (then the receipt and the bundle are
    /// the signed evidence).
    #[arg(long)]
    pub election: Option<PathBuf>,
    /// With an election bundle: a mirror of the log (`log mirror`), to
    /// check that no ballot the log holds for the election is missing from
    /// the bundle, and that both show the same history.
    #[arg(long)]
    pub mirror: Option<PathBuf>,
    /// A witness verifier key whose cosignature is required (repeatable).
    #[arg(long = "witness-key")]
    pub witness_keys: Vec<String>,
    /// How many of the --witness-key witnesses must have cosigned.
    #[arg(long, default_value_t = 1)]
    pub quorum: usize,
}

/// Runs `zkaudit verify`: a receipt, or any bundle this build knows.
pub fn run(args: VerifyArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .with_context(|| format!("{} is not JSON", args.file.display()))?["format"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if args.challenge || format == CHALLENGE_FORMAT {
        return verify_challenge(&text, &args);
    }
    let log_key = read_key_arg(
        args.log_key
            .as_deref()
            .context("give the log's key: --log-key")?,
    )?;
    if format == CLAIM_BUNDLE_FORMAT {
        return verify_claim_bundle(&text, &log_key);
    }
    if format == ELECTION_BUNDLE_FORMAT {
        let report = verify_election_bundle(&text, &log_key)?;
        if let Some(dir) = &args.mirror {
            compare_with_mirror(&report, dir, &log_key)?;
        }
        return Ok(());
    }
    if format == zkaudit_verifier::funds::FUNDS_BUNDLE_FORMAT {
        let params =
            std::env::var_os("ZKAUDIT_PARAMS_DIR").unwrap_or_else(|| "zkaudit-params".into());
        return super::funds::verify_bundle(&text, &log_key, Path::new(&params));
    }
    let receipt: Receipt = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is neither a zkaudit receipt nor a bundle this build knows (format {format:?})",
            args.file.display()
        )
    })?;
    let verified = receipt
        .verify(&log_key)
        .context("receipt does NOT verify")?;
    print_lines(&explain::receipt(&receipt, &verified));
    if let Some(bundle) = &args.election {
        ballot_standing(&verified, &args.file, bundle, &log_key)?;
    }
    if let (Some(previous), Some(consistency)) = (&args.previous, &args.consistency) {
        let old =
            std::fs::read(previous).with_context(|| format!("reading {}", previous.display()))?;
        let proof: crate::api::log::ConsistencyView = serde_json::from_slice(
            &std::fs::read(consistency)
                .with_context(|| format!("reading {}", consistency.display()))?,
        )
        .context("consistency proof is not the JSON of `zkaudit log consistency`")?;
        let (old_cp, new_cp) =
            verify_extension(&old, receipt.checkpoint.as_bytes(), &proof.proof, &log_key)
                .context("the log's history is NOT consistent with the previous checkpoint")?;
        println!(
            "ok: checkpoint of size {} extends the previous one of size {} (consistency proof verified)",
            new_cp.size, old_cp.size
        );
    }
    if !args.witness_keys.is_empty() {
        let keys: Vec<String> = args
            .witness_keys
            .iter()
            .map(|k| read_key_arg(k))
            .collect::<Result<_>>()?;
        let n = verify_quorum(receipt.checkpoint.as_bytes(), &keys, args.quorum)
            .context("witness cosignatures are insufficient")?;
        println!(
            "ok: {n} witness cosignature(s) verify (quorum {})",
            args.quorum
        );
    }
    Ok(())
}

/// An opened ballot against the election's key as this device obtains it.
fn verify_challenge(text: &str, args: &VerifyArgs) -> Result<()> {
    let challenge: BallotChallenge = serde_json::from_str(text)
        .context("not an opened ballot (the JSON of `zkaudit vote --challenge`)")?;
    let (key, labels, source) = match (&args.election_key, &args.server) {
        (Some(key), _) => (
            key.clone(),
            Vec::new(),
            "given with --election-key".to_owned(),
        ),
        (None, Some(server)) => {
            let view = crate::client::election::view(&Client::new(server), &challenge.election)?;
            let key = view
                .joint_key
                .context("the election has no key yet: nothing can have been encrypted to it")?;
            (key, view.options, format!("fetched from {server}"))
        }
        (None, None) => bail!(
            "a challenge is checked against the election's own key: give --server (this device \
             fetches it) or --election-key"
        ),
    };
    let key = decode_point(&hex::decode(&key).context("the election key is not hex")?)
        .map_err(|e| anyhow::anyhow!("the election key: {e}"))?;
    let verified = challenge.verify(&key).context(
        "the opened ballot does NOT verify: the voting client did not prepare what it reveals",
    )?;
    println!(
        "ok: the ballot with fingerprint {} encrypts exactly these choices under election {:?}'s key ({source}):",
        hex::encode(verified.fingerprint),
        verified.election
    );
    for (i, choice) in verified.choices.iter().enumerate() {
        let label = labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("option {i}"));
        let mark = if *choice == 1 { "marked" } else { "not marked" };
        println!("    {label}: {mark}");
    }
    println!(
        "this ballot is opened: it must never be cast; vote again (the client encrypts afresh)"
    );
    Ok(())
}

fn verify_claim_bundle(text: &str, log_key: &str) -> Result<()> {
    let bundle: ClaimBundle = serde_json::from_str(text).context("malformed claim bundle")?;
    let report = bundle
        .verify(log_key)
        .context("the claim bundle does NOT verify")?;
    print_lines(&explain::claim(&bundle, &report));
    Ok(())
}

/// Where a ballot receipt's ballot stands in the election's bundle.
fn ballot_standing(
    receipt: &VerifiedReceipt,
    receipt_path: &Path,
    bundle_path: &Path,
    log_key: &str,
) -> Result<()> {
    let text = std::fs::read_to_string(bundle_path)
        .with_context(|| format!("reading {}", bundle_path.display()))?;
    let bundle: ElectionBundle =
        serde_json::from_str(&text).context("malformed election bundle")?;
    let report = bundle
        .verify(log_key)
        .context("the election bundle does NOT verify")?;
    let standing = report.standing(receipt)?;
    let keep = format!("{} and {}", receipt_path.display(), bundle_path.display());
    let line = explain::standing(&report, &standing, &keep);
    if line.level == Level::Failed {
        bail!("{}", line.text);
    }
    println!("{line}");
    Ok(())
}

/// Checks an election bundle against a mirror of the whole log.
fn compare_with_mirror(report: &ElectionReport, dir: &Path, log_key: &str) -> Result<()> {
    let mirrored = crate::client::mirror::read_mirror(dir, log_key)?;
    let comparison = report
        .compare_with_log(&mirrored.entries)
        .context("the election bundle does NOT match the mirrored log")?;
    println!(
        "ok: the mirror (checkpoint of size {}) agrees with the bundle below entry {}: all {} ballots it holds for the election are in the bundle, and each one's root is in the registry's window judged with all {} root loggings it holds",
        mirrored.checkpoint.size,
        comparison.compared_below,
        comparison.ballots,
        comparison.root_loggings
    );
    if mirrored.checkpoint.size < report.checkpoint_size {
        println!(
            "    the mirror is older than the bundle (size {} < {}): mirror again to cover the rest",
            mirrored.checkpoint.size, report.checkpoint_size
        );
    }
    Ok(())
}

fn verify_election_bundle(text: &str, log_key: &str) -> Result<ElectionReport> {
    let bundle: ElectionBundle = serde_json::from_str(text).context("malformed election bundle")?;
    let report = bundle
        .verify(log_key)
        .context("the election bundle does NOT verify")?;
    print_lines(&explain::election(&bundle, &report));
    Ok(report)
}
