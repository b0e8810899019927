//! The identity commands: the holder's wallet (`id`), issuers (`issuer`),
//! key setup and export (`setup`, `keys`), proving (`prove eligibility`)
//! and claiming (`claim`).
//!
//! The holder's secret lives in a local wallet file (mode 0600) and never
//! leaves the machine: proofs are made locally, and what is sent is the
//! commitment (to the issuer) or the proof (to the claims service).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::{Args, Subcommand};
use zkaudit_circuits::eligibility::{
    EligibilityCircuit, EligibilityPublic, EligibilityShape, EligibilityWitness, check,
    credential_leaf, public_inputs,
};
use zkaudit_circuits::fr_from_decimal;
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{
    CREDENTIAL_ISSUE, CREDENTIAL_REVOKE, CredentialIssue, CredentialRevoke, DOMAIN,
    REGISTRY_CREATE, RegistrySpec, SCOPE_CREATE, ScopeSpec, claim_message_field,
};
use zkaudit_prover::KeyCache;
use zkaudit_verifier::groth16::{self};
use zkaudit_verifier::snarkjs;

use crate::client::Client;
use crate::client::identity::{RegistryTree, registry, scope};
use crate::client::proving_key::proving_key;
use crate::client::wallet::{Wallet, WalletCredential};
use crate::domains::identity::ClaimBody;
use crate::keyfile::read_signing_key;

const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// `zkaudit id …`: the holder's wallet.
#[derive(Subcommand, Debug)]
pub enum IdCommand {
    /// Make a new identity secret in a local wallet file (never sent anywhere).
    New {
        /// Wallet file to create.
        #[arg(long, default_value = "zkaudit-wallet.json")]
        wallet: PathBuf,
    },
    /// Show the identity commitment to give an issuer.
    Show {
        /// Wallet file.
        #[arg(long, default_value = "zkaudit-wallet.json")]
        wallet: PathBuf,
    },
    /// Record a credential an issuer gave you (its registry and attribute values).
    AddCredential {
        /// Wallet file.
        #[arg(long, default_value = "zkaudit-wallet.json")]
        wallet: PathBuf,
        /// Registry id.
        #[arg(long)]
        registry: String,
        /// Attribute values in the registry's schema order (repeat).
        #[arg(long = "attr", required = true)]
        attributes: Vec<u64>,
    },
}

/// `zkaudit issuer …`: an issuing authority's commands.
#[derive(Subcommand, Debug)]
pub enum IssuerCommand {
    /// Create a credential registry with an attribute schema.
    CreateRegistry(CreateRegistryArgs),
    /// Issue a credential to an identity commitment.
    Issue {
        /// The issuer's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Registry id.
        #[arg(long)]
        registry: String,
        /// The holder's identity commitment (decimal, from `zkaudit id show`).
        #[arg(long)]
        commitment: String,
        /// Attribute values in schema order (repeat).
        #[arg(long = "attr", required = true)]
        attributes: Vec<u64>,
        /// The log's base URL.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Revoke the credential at a leaf index (its leaf becomes zero).
    Revoke {
        /// The issuer's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Registry id.
        #[arg(long)]
        registry: String,
        /// Leaf index (the index in the receipt of the issuance, see `registries/{id}/members`).
        #[arg(long)]
        leaf: u64,
        /// The log's base URL.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Define a claim scope (e.g. a benefit) and its predicates over a registry.
    CreateScope(CreateScopeArgs),
}

/// `zkaudit issuer create-registry`.
#[derive(Args, Debug)]
pub struct CreateRegistryArgs {
    /// The issuer's private key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Registry id, `[a-z0-9-]`.
    #[arg(long)]
    pub id: String,
    /// Title.
    #[arg(long, default_value = "")]
    pub title: String,
    /// Attribute names, comma-separated, in leaf order (1 to 8).
    #[arg(long, value_delimiter = ',', required = true)]
    pub attributes: Vec<String>,
    /// Tree depth of the eligibility circuit (capacity 2^depth credentials).
    #[arg(long, default_value_t = 20)]
    pub depth: u8,
    /// Roots of this many latest changes stay accepted…
    #[arg(long, default_value_t = 16)]
    pub window_changes: u32,
    /// …and roots logged within this many seconds.
    #[arg(long, default_value_t = 3600)]
    pub window_secs: u64,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit issuer create-scope`.
#[derive(Args, Debug)]
pub struct CreateScopeArgs {
    /// The authority's private key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Scope id, `[a-z0-9-]`.
    #[arg(long)]
    pub id: String,
    /// Title.
    #[arg(long, default_value = "")]
    pub title: String,
    /// Registry whose credentials are eligible.
    #[arg(long)]
    pub registry: String,
    /// A predicate: `NAME<=V`, `NAME>=V`, `NAME=V`, `NAME=A..B` or `NAME in A,B,C` (repeat;
    /// attributes not mentioned accept anything).
    #[arg(long = "predicate")]
    pub predicates: Vec<String>,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

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

/// `zkaudit keys …`.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Export a circuit's verifying key (snarkjs verification_key.json, or compressed binary).
    Export {
        /// Key directory (`<data>/keys` of a server, or a holder's key cache).
        #[arg(long, default_value = "zkaudit-data/keys")]
        keys: PathBuf,
        /// Shape id, e.g. eligibility-d20-a3.
        #[arg(long)]
        shape: String,
        /// `snarkjs` or `binary`.
        #[arg(long, default_value = "snarkjs")]
        format: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `zkaudit setup`.
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Key directory.
    #[arg(long, default_value = "zkaudit-data/keys")]
    pub keys: PathBuf,
    /// Registry tree depth.
    #[arg(long, default_value_t = 20)]
    pub depth: usize,
    /// Attributes per credential.
    #[arg(long, default_value_t = 3)]
    pub attributes: usize,
}

/// `zkaudit claim`.
#[derive(Args, Debug)]
pub struct ClaimArgs {
    /// The claim from `zkaudit prove eligibility`.
    #[arg(default_value = "claim.json")]
    pub claim: PathBuf,
    /// Write the receipt here.
    #[arg(long, default_value = "claim-receipt.json")]
    pub out: PathBuf,
    /// Also write the claim bundle here: the claim with every record its
    /// statement is made of, which `zkaudit verify` re-checks offline,
    /// proof included.
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// Runs `zkaudit id …`.
pub fn id(cmd: IdCommand) -> Result<()> {
    match cmd {
        IdCommand::New { wallet } => {
            let identity = Identity::random(&mut rand::rngs::OsRng);
            Wallet::create(&wallet, &identity)?;
            eprintln!(
                "identity secret written to {} (mode 0600); keep it, it never leaves this machine",
                wallet.display()
            );
            println!("{}", identity.commitment());
            Ok(())
        }
        IdCommand::Show { wallet } => {
            let identity = Wallet::load(&wallet)?.identity()?;
            println!("{}", identity.commitment());
            Ok(())
        }
        IdCommand::AddCredential {
            wallet,
            registry,
            attributes,
        } => {
            let mut w = Wallet::load(&wallet)?;
            w.credentials.push(WalletCredential {
                registry,
                attributes,
            });
            w.save(&wallet)?;
            eprintln!("credential recorded in {}", wallet.display());
            Ok(())
        }
    }
}

fn post_signed(server: &str, key: &Path, kind: &str, payload: Vec<u8>) -> Result<()> {
    let key = read_signing_key(key)?;
    let receipt = Client::new(server).append_signed(&key, DOMAIN, kind, payload)?;
    println!(
        "logged {DOMAIN}/{kind} at index {}{}",
        receipt.index,
        if receipt.duplicate {
            " (already logged)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Runs `zkaudit issuer …`.
pub fn issuer(cmd: IssuerCommand) -> Result<()> {
    match cmd {
        IssuerCommand::CreateRegistry(a) => {
            let spec = RegistrySpec {
                id: a.id,
                title: a.title,
                attributes: a.attributes,
                depth: a.depth,
                window_changes: a.window_changes,
                window_secs: a.window_secs,
            };
            spec.validate()?;
            post_signed(&a.server, &a.key, REGISTRY_CREATE, spec.encode())
        }
        IssuerCommand::Issue {
            key,
            registry,
            commitment,
            attributes,
            server,
        } => {
            let commitment = fr_from_decimal(&commitment).map_err(|_| {
                anyhow::anyhow!("--commitment is not a canonical decimal field element")
            })?;
            let issue = CredentialIssue {
                registry,
                commitment: fr_to_bytes(&commitment),
                attributes,
            };
            post_signed(&server, &key, CREDENTIAL_ISSUE, issue.encode())
        }
        IssuerCommand::Revoke {
            key,
            registry,
            leaf,
            server,
        } => post_signed(
            &server,
            &key,
            CREDENTIAL_REVOKE,
            CredentialRevoke {
                registry,
                leaf_index: leaf,
            }
            .encode(),
        ),
        IssuerCommand::CreateScope(a) => {
            let client = Client::new(&a.server);
            let registry = registry(&client, &a.registry)?;
            let predicates = parse_predicates(&registry.attributes, &a.predicates)?;
            let scope = ScopeSpec {
                id: a.id,
                title: a.title,
                registry: a.registry,
                predicates,
            };
            post_signed(&a.server, &a.key, SCOPE_CREATE, scope.encode())
        }
    }
}

/// Parses `NAME<=V`, `NAME>=V`, `NAME=V`, `NAME=A..B`, `NAME in A,B,C`.
pub fn parse_predicates(
    attributes: &[String],
    specs: &[String],
) -> Result<Vec<AttributePredicate>> {
    let mut out = vec![AttributePredicate::any(); attributes.len()];
    for spec in specs {
        let (name, predicate) = parse_predicate(spec)?;
        let i = attributes.iter().position(|a| a == name).with_context(|| {
            format!("{name:?} is not an attribute of the registry ({attributes:?})")
        })?;
        out[i] = predicate;
    }
    Ok(out)
}

fn parse_predicate(spec: &str) -> Result<(&str, AttributePredicate)> {
    let num = |s: &str| -> Result<u64> {
        s.trim()
            .parse()
            .with_context(|| format!("{s:?} is not an unsigned integer in predicate {spec:?}"))
    };
    if let Some((name, values)) = spec.split_once(" in ") {
        let values = values.split(',').map(num).collect::<Result<Vec<_>>>()?;
        return Ok((name.trim(), AttributePredicate::one_of(&values)?));
    }
    if let Some((name, v)) = spec.split_once("<=") {
        return Ok((name.trim(), AttributePredicate::at_most(num(v)?)));
    }
    if let Some((name, v)) = spec.split_once(">=") {
        return Ok((name.trim(), AttributePredicate::at_least(num(v)?)));
    }
    if let Some((name, v)) = spec.split_once('=') {
        return Ok(match v.split_once("..") {
            Some((a, b)) => (name.trim(), AttributePredicate::between(num(a)?, num(b)?)),
            None => (name.trim(), AttributePredicate::equals(num(v)?)),
        });
    }
    bail!("predicate {spec:?} is not NAME<=V, NAME>=V, NAME=V, NAME=A..B or NAME in A,B,C")
}

/// Runs `zkaudit setup`.
pub fn setup(a: SetupArgs) -> Result<()> {
    let shape = EligibilityShape::new(a.depth, a.attributes)?;
    let keys =
        KeyCache::new(&a.keys).load_or_create(&shape.id(), || EligibilityCircuit::blank(shape))?;
    eprintln!(
        "WARNING: these are DEVELOPMENT keys from a single-party setup; whoever ran it could forge proofs. \
         Production keys come from a multi-party ceremony."
    );
    println!(
        "{} vk sha3-256 {}",
        shape.id(),
        hex::encode(keys.vk_digest())
    );
    Ok(())
}

/// Runs `zkaudit keys …`.
pub fn keys(cmd: KeysCommand) -> Result<()> {
    let KeysCommand::Export {
        keys,
        shape,
        format,
        out,
    } = cmd;
    let loaded = KeyCache::new(&keys)
        .load(&shape)?
        .with_context(|| format!("no keys for {shape} in {}", keys.display()))?;
    match format.as_str() {
        "snarkjs" => std::fs::write(&out, snarkjs::export_vk(&loaded.vk))?,
        "binary" => std::fs::write(&out, groth16::encode_vk(&loaded.vk))?,
        other => bail!("unknown format {other:?}: use snarkjs or binary"),
    }
    eprintln!(
        "verifying key of {shape} (sha3-256 {}) written to {}",
        hex::encode(loaded.vk_digest()),
        out.display()
    );
    Ok(())
}

/// Runs `zkaudit prove eligibility`.
pub fn prove(cmd: ProveCommand) -> Result<()> {
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

/// Runs `zkaudit claim`.
pub fn claim(a: ClaimArgs) -> Result<()> {
    let body: ClaimBody = serde_json::from_str(
        &std::fs::read_to_string(&a.claim)
            .with_context(|| format!("reading {}", a.claim.display()))?,
    )
    .context("not a claim from `zkaudit prove eligibility`")?;
    let client = Client::new(&a.server);
    let receipt = client.post_json("/v1/identity/claims", &body)?;
    std::fs::write(&a.out, serde_json::to_string_pretty(&receipt)?)?;
    println!(
        "claim accepted and logged at index {}; receipt in {}",
        receipt["index"],
        a.out.display()
    );
    if let Some(path) = &a.bundle {
        let index = receipt["index"]
            .as_u64()
            .context("the receipt has no index")?;
        let bundle = client.get_json(&format!("/v1/identity/claims/{index}/bundle"))?;
        std::fs::write(path, serde_json::to_string_pretty(&bundle)?)?;
        println!("claim bundle in {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_parse() {
        let attrs = vec![
            "birth".to_string(),
            "region".to_string(),
            "expiry".to_string(),
        ];
        let p = parse_predicates(
            &attrs,
            &[
                "birth<=20080101".into(),
                "region in 1,2".into(),
                "expiry>=20270101".into(),
            ],
        )
        .unwrap();
        assert_eq!(p[0], AttributePredicate::at_most(20_080_101));
        assert_eq!(p[1], AttributePredicate::one_of(&[1, 2]).unwrap());
        assert_eq!(p[2], AttributePredicate::at_least(20_270_101));
        let eq = parse_predicates(&attrs, &["region=3".into(), "birth=1..2".into()]).unwrap();
        assert_eq!(eq[1], AttributePredicate::equals(3));
        assert_eq!(eq[0], AttributePredicate::between(1, 2));
        assert!(parse_predicates(&attrs, &["height<=3".into()]).is_err());
        assert!(parse_predicates(&attrs, &["birth<=x".into()]).is_err());
        assert!(parse_predicates(&attrs, &["birth~3".into()]).is_err());
    }
}
