//! `zkaudit prove eligibility`: a holder proves, on their own machine, that
//! a credential in their wallet satisfies a scope's predicates.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::{Args, Subcommand};
use zkaudit_circuits::eligibility::{
    EligibilityCircuit, EligibilityPublic, EligibilityShape, EligibilityWitness, check,
    credential_leaf, public_inputs,
};
use zkaudit_circuits::fr_from_decimal;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::identity::claim_message_field;
use zkaudit_verifier::groth16;
use zkaudit_verifier::snarkjs;

use crate::client::Client;
use crate::client::DEFAULT_SERVER;
use crate::client::identity::{RegistryTree, scope};
use crate::client::proving_key::proving_key;
use crate::client::wallet::Wallet;
use crate::domains::identity::ClaimBody;

/// `zkaudit prove …`.
#[derive(Subcommand, Debug)]
pub enum ProveCommand {
    /// Prove, locally, that a credential in your wallet satisfies a scope's predicates.
    Eligibility(ProveEligibilityArgs),
}

/// `zkaudit prove eligibility`.
#[derive(Args, Debug)]
pub struct ProveEligibilityArgs {
    /// Wallet file.
    #[arg(long, default_value = "zkaudit-wallet.json")]
    pub wallet: PathBuf,
    /// The scope to claim in.
    #[arg(long)]
    pub scope: String,
    /// The request the proof is bound to (e.g. an application number).
    #[arg(long)]
    pub message: String,
    /// Where to write the claim (JSON for `zkaudit claim`).
    #[arg(long, default_value = "claim.json")]
    pub out: PathBuf,
    /// `snarkjs` also writes proof.json, public.json and verification_key.json beside --out.
    #[arg(long, default_value = "zkaudit")]
    pub format: String,
    /// Where proving keys are cached.
    #[arg(long, default_value = "zkaudit-keys")]
    pub keys: PathBuf,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// Runs `zkaudit prove eligibility`.
pub fn run(cmd: ProveCommand) -> Result<()> {
    let ProveCommand::Eligibility(a) = cmd;
    let wallet = Wallet::load(&a.wallet)?;
    let identity = wallet.identity()?;
    let client = Client::new(&a.server);
    let scope = scope(&client, &a.scope)?;
    let credential = wallet.credential(&scope.registry)?;

    // Fetch every member, not just our path: the service learns nothing about which one we are.
    let members = RegistryTree::fetch(&client, &scope.registry)?;
    let leaf = credential_leaf(identity.commitment(), &credential.attributes)?;
    let index = members.index_of(&leaf)?;
    let (tree, root, registry) = (&members.tree, members.root, &members.view);
    let shape: EligibilityShape =
        EligibilityShape::new(registry.depth as usize, registry.attributes.len())?;
    let (pk, prepared) = proving_key(
        &client,
        &a.keys,
        &shape.id(),
        &format!("/v1/identity/keys/{}/proving-key", shape.id()),
    )?;

    let predicates = scope
        .predicates
        .iter()
        .map(|p| match &p.set {
            Some(set) => AttributePredicate::one_of(set).map(|s| AttributePredicate {
                min: p.min,
                max: p.max,
                ..s
            }),
            None => Ok(AttributePredicate::between(p.min, p.max)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let scope_field = fr_from_decimal(&scope.scope_field)
        .map_err(|_| anyhow::anyhow!("the scope's field element is malformed"))?;
    let public = EligibilityPublic {
        shape,
        root,
        nullifier: identity.nullifier(scope_field),
        scope: scope_field,
        message: claim_message_field(&scope.id, a.message.as_bytes()),
        predicates,
    };
    let witness = EligibilityWitness {
        secret: identity.secret_scalar(),
        attributes: credential.attributes.clone(),
        path: tree.generate_proof(index)?.to_circuit_path(shape.depth)?,
    };
    check(&public, &witness).context("your credential does not satisfy this scope")?;
    let started = std::time::Instant::now();
    let proof = zkaudit_prover::prove(
        &pk,
        EligibilityCircuit {
            public: public.clone(),
            witness: Some(witness),
        },
        &mut rand::rngs::OsRng,
    )?;
    groth16::verify(&prepared, &public_inputs(&public), &proof)
        .context("the new proof does not verify")?;
    eprintln!(
        "proof made in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    let body = ClaimBody {
        scope: scope.id.clone(),
        root: root.to_string(),
        nullifier: public.nullifier.to_string(),
        message: BASE64.encode(a.message.as_bytes()),
        proof: BASE64.encode(groth16::encode_proof(&proof)),
    };
    std::fs::write(&a.out, serde_json::to_string_pretty(&body)?)?;
    eprintln!("claim written to {}", a.out.display());
    if a.format == "snarkjs" {
        let dir = a.out.parent().unwrap_or(Path::new("."));
        std::fs::write(dir.join("proof.json"), snarkjs::export_proof(&proof))?;
        std::fs::write(
            dir.join("public.json"),
            snarkjs::export_public(&public_inputs(&public)),
        )?;
        std::fs::write(
            dir.join("verification_key.json"),
            snarkjs::export_vk(prepared.vk()),
        )?;
        eprintln!(
            "snarkjs files: proof.json, public.json, verification_key.json in {}",
            dir.display()
        );
    }
    Ok(())
}
