//! The election commands: the commission (`election`), the trustees
//! (`trustee`) and the voter (`vote`).
//!
//! Secrets stay on the machine that holds them: a trustee's key file (mode
//! 0600) holds its Ed25519 signing key and its BabyJubJub secret; its
//! polynomial is drawn, used and dropped inside `trustee deal`; its key
//! share is recomputed from the logged dealings when it decrypts. A voter's
//! choices and encryption randomness never leave `zkaudit vote`: only the
//! ciphertexts and the proof are sent.

use std::path::PathBuf;

use crate::board::page::format_ms;
use crate::domains::election::ElectionView;
use crate::domains::identity::{KeyView, RegistryView};
use crate::keyfile::read_signing_key;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use zkaudit_ledger::election::{
    BallotStatement, CREATE, Contest, ElectionSpec, PHASE, Phase, PhaseChange,
};
use zkaudit_verifier::explain::contest_rule;

use crate::cli::identity::parse_predicates;
use crate::client::election::choices::parse_contest;
use crate::client::election::*;
use crate::client::{Client, DEFAULT_SERVER};

pub mod trustee;
pub mod vote;

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
    /// An option label (repeat, 2 to 8): one contest of 0/1 choices, the
    /// v1 ballot.
    #[arg(long = "option", required_unless_present = "contests")]
    pub options: Vec<String>,
    /// Fewest options a ballot must mark (with --option).
    #[arg(long, default_value_t = 0, conflicts_with = "contests")]
    pub min: u8,
    /// Most options a ballot may mark (with --option).
    #[arg(long, default_value_t = 1, conflicts_with = "contests")]
    pub max: u8,
    /// A contest (repeat, 1 to 4, 16 options in all), all on one ballot
    /// under one proof: `TITLE: OPTION, OPTION, …` then optionally
    /// `; min=N` (fewest points, default 0), `; max=N` (most points,
    /// default 1) and `; limit=N` (most points per option, default 1; more
    /// for cumulative voting, up to 15). Approve up to 3 of 8:
    /// `"Council: A, B, C, D, E, F, G, H; max=3"`.
    #[arg(long = "contest", conflicts_with = "options")]
    pub contests: Vec<String>,
    /// With --contest: make the ballot circuit for this election's joint
    /// key (ballot statement v3). Ballots prove in about half the time;
    /// the service makes the election's own proving key when voting opens,
    /// so the key cannot be named with --circuit-key.
    #[arg(long, requires = "contests", conflicts_with = "circuit_key")]
    pub key_per_election: bool,
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
    /// Voting opens this many seconds from now: the log refuses the
    /// commission's opening stamped before then.
    #[arg(long, default_value_t = 0)]
    pub opens_in_secs: u64,
    /// Voting closes this many seconds from now (after it opens).
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    pub closes_in_secs: u64,
    /// Name the ballot key: its verifying key's SHA3-256 (hex, as
    /// `zkaudit ceremony status` prints it). The ballot shape's circuit key
    /// must already be logged with it, and not as a development key.
    #[arg(long)]
    pub circuit_key: Option<String>,
    /// One ballot per voter: refuse a second ballot instead of letting the
    /// voter's last ballot count (re-voting, the default for remote
    /// elections, lets a coerced or bought vote be replaced later).
    #[arg(long)]
    pub one_ballot_per_voter: bool,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// Runs `zkaudit election …`.
pub fn run(cmd: ElectionCommand) -> Result<()> {
    match cmd {
        ElectionCommand::Create(a) => {
            let client = Client::new(&a.server);
            let registry: RegistryView =
                client.get(&format!("/v1/identity/registries/{}", a.registry))?;
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
            let (statement, contests) = if a.contests.is_empty() {
                let contest = Contest::choices(a.options, a.min, a.max);
                (BallotStatement::Choices, vec![contest])
            } else {
                let contests = a.contests.iter().map(|c| parse_contest(c));
                let contests = contests.collect::<Result<Vec<_>>>()?;
                if a.key_per_election {
                    (BallotStatement::KeyedContests, contests)
                } else {
                    (BallotStatement::Contests, contests)
                }
            };
            let now = crate::clock::now_ms();
            let spec = ElectionSpec {
                id: a.id,
                title: a.title,
                statement,
                contests,
                registry: a.registry,
                predicates,
                trustees,
                threshold: a.threshold,
                opens_at_ms: now.saturating_add(a.opens_in_secs.saturating_mul(1000)),
                closes_at_ms: now.saturating_add(a.closes_in_secs.max(1).saturating_mul(1000)),
                circuit_key: a
                    .circuit_key
                    .as_deref()
                    .map(crate::cli::identity::parse_digest)
                    .transpose()?,
                revoting: !a.one_ballot_per_voter,
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
                let view: ElectionView = client.get(&format!("/v1/elections/{id}"))?;
                println!("qualified dealers {:?}", view.qualified);
                if let Some(k) = view.joint_key {
                    println!("joint election key {k}");
                }
            }
            Ok(())
        }
        ElectionCommand::Show { id, server } => {
            let client = Client::new(&server);
            let view: ElectionView = client.get(&format!("/v1/elections/{id}"))?;
            print_view(&view);
            if let Some(shape) = &view.ballot_shape {
                println!("  ballot key   {}", ballot_key(&client, &id, shape)?);
            }
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

/// Where the logged key of the election's ballot circuit comes from, or
/// why ballots are refused without one.
fn ballot_key(client: &Client, election: &str, shape: &str) -> Result<String> {
    use crate::client::ClientError;
    match client.get::<KeyView>(&format!("/v1/identity/keys/{shape}")) {
        Ok(key) => Ok(key.origin()),
        Err(ClientError::Refused { status, error, .. }) if status.as_u16() == 404 => Ok(format!(
            "none logged, ballots are refused until one is ({}; `zkaudit ceremony \
                 start --election {election} …` makes it)",
            error.message
        )),
        Err(e) => Err(e.into()),
    }
}

fn print_view(view: &ElectionView) {
    println!("election {} — {}", view.id, view.title);
    println!("  phase        {}", view.phase);
    for contest in &view.contests {
        let name = if contest.title.is_empty() {
            "options"
        } else {
            &contest.title
        };
        println!(
            "  {name:<12} {} ({})",
            contest.options.join(", "),
            contest_rule(contest.min, contest.max, contest.limit)
        );
    }
    println!(
        "  voting       {} to {} (UTC)",
        format_ms(view.opens_at_ms),
        format_ms(view.closes_at_ms)
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
    println!(
        "  ballots      {} counted{}",
        view.ballots,
        if view.revoting {
            format!(
                " of {} cast (re-voting: each voter's last ballot counts)",
                view.cast
            )
        } else {
            " (one ballot per voter)".into()
        }
    );
    if let Some(seal) = &view.seal {
        println!(
            "  sealed       {} cast, {} counted, root {}",
            seal.cast, seal.counted, seal.ballots_root
        );
    }
    if !view.decrypted_by.is_empty() {
        println!("  decrypted by {:?}", view.decrypted_by);
    }
    if let Some(t) = &view.tally {
        println!(
            "  tally ({} ballots; trustees used {:?}, rejected {:?}):",
            t.ballots, t.used, t.rejected
        );
        for contest in &view.contests {
            if !contest.title.is_empty() {
                println!("    {}", contest.title);
            }
            let counts = contest.counts.iter().flatten();
            for (option, count) in contest.options.iter().zip(counts) {
                println!("    {option:<24} {count}");
            }
        }
    }
}
