//! `zkaudit demo`: realistic end-to-end scenarios on the embedded default.
//!
//! Each scenario starts the service in-process on a data directory, drives
//! it over HTTP like real clients would, verifies what it got back, and
//! leaves the directory so `zkaudit serve --data <dir>` can browse it all.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

mod ceremony;
mod election;
mod funds;
pub mod health;
mod identity;
mod land;
mod scene;

/// `zkaudit demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Which scenario (all of them when absent).
    pub domain: Option<DemoDomain>,
    /// Data directory the demo writes (and `zkaudit serve --data` can browse).
    #[arg(long, default_value = "./zkaudit-demo")]
    pub data: PathBuf,
    /// Credential holders in the identity scenario.
    #[arg(long, default_value_t = 300)]
    pub holders: usize,
    /// Parcels in the land scenario.
    #[arg(long, default_value_t = 300)]
    pub parcels: usize,
    /// Ballots cast in the election scenario (each proved in about a second).
    #[arg(long, default_value_t = 60)]
    pub voters: usize,
    /// Expenditures in the funds scenario.
    #[arg(long, default_value_t = 5000)]
    pub items: usize,
    /// Items per proof chunk in the funds scenario (4, 16, 64, 256 or 1024;
    /// 1024 is the production shape, k = 15).
    #[arg(long, default_value_t = crate::demo::funds::DEMO_CHUNK)]
    pub chunk_size: u32,
}

/// The scenarios.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DemoDomain {
    /// A short key ceremony, a credential registry, revocations and private eligibility claims.
    Identity,
    /// Parcels, multi-signed transfers and liens, offline-verified histories.
    Land,
    /// Health: records, consent and access audit, vaccine supply chain, vaccination proofs.
    Health,
    /// A 3-of-5 trustee election: key ceremony, encrypted proved ballots, tally, bundle.
    Election,
    /// Hidden expenditures, halo2-proven totals, spot audits.
    Funds,
}

/// Runs `zkaudit demo`.
pub fn run(args: DemoArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let domains = match args.domain {
        Some(d) => vec![d],
        None => vec![
            DemoDomain::Identity,
            DemoDomain::Land,
            DemoDomain::Health,
            DemoDomain::Election,
            DemoDomain::Funds,
        ],
    };
    for domain in domains {
        match domain {
            DemoDomain::Identity => identity::identity(&runtime, &args.data, args.holders)?,
            DemoDomain::Land => crate::demo::land::land(&runtime, &args.data, args.parcels)?,
            DemoDomain::Health => crate::demo::health::run(&runtime, &args.data)?,
            DemoDomain::Election => {
                crate::demo::election::election(&runtime, &args.data, args.voters)?
            }
            DemoDomain::Funds => {
                crate::demo::funds::funds(&runtime, &args.data, args.items, args.chunk_size)?
            }
        }
    }
    println!(
        "\nEverything the demo did is in {}. Browse it with:\n  zkaudit serve --data {}",
        args.data.display(),
        args.data.display()
    );
    Ok(())
}
