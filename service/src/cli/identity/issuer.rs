//! `zkaudit issuer …`: an issuing authority's commands: registries,
//! credentials, revocations and claim scopes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use zkaudit_circuits::fr_from_decimal;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{
    CREDENTIAL_ISSUE, CREDENTIAL_REVOKE, CredentialIssue, CredentialRevoke, DOMAIN,
    REGISTRY_CREATE, RegistrySpec, SCOPE_CREATE, ScopeSpec,
};

use crate::cli::output::print_logged;
use crate::client::identity::{attributes_from_fhir, registry};
use crate::client::{Client, DEFAULT_SERVER};
use crate::keyfile::read_signing_key;

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
        #[arg(
            long = "attr",
            required_unless_present = "from_fhir",
            conflicts_with = "from_fhir"
        )]
        attributes: Vec<u64>,
        /// Read the attributes from a FHIR `Immunization` (JSON) instead:
        /// product, dose, date and expiry, by the registry's attribute names.
        #[arg(long)]
        from_fhir: Option<PathBuf>,
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
    /// Name the key its claims prove under: the verifying key's SHA3-256
    /// (hex, as `zkaudit ceremony status` prints it). The shape's circuit
    /// key must already be logged with it, and not as a development key.
    #[arg(long)]
    pub circuit_key: Option<String>,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// Runs `zkaudit issuer …`.
pub fn run(cmd: IssuerCommand) -> Result<()> {
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
            append(&a.server, &a.key, REGISTRY_CREATE, spec.encode())
        }
        IssuerCommand::Issue {
            key,
            registry,
            commitment,
            attributes,
            from_fhir,
            server,
        } => {
            let commitment = fr_from_decimal(&commitment).map_err(|_| {
                anyhow::anyhow!("--commitment is not a canonical decimal field element")
            })?;
            let attributes = match from_fhir {
                Some(file) => attributes_from_fhir(&Client::new(&server), &registry, &file)?,
                None => attributes,
            };
            let issue = CredentialIssue {
                registry,
                commitment: fr_to_bytes(&commitment),
                attributes,
            };
            append(&server, &key, CREDENTIAL_ISSUE, issue.encode())
        }
        IssuerCommand::Revoke {
            key,
            registry,
            leaf,
            server,
        } => append(
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
            let circuit_key = a.circuit_key.as_deref().map(parse_digest).transpose()?;
            let scope = ScopeSpec {
                id: a.id,
                title: a.title,
                registry: a.registry,
                predicates,
                circuit_key,
            };
            append(&a.server, &a.key, SCOPE_CREATE, scope.encode())
        }
    }
}

/// A SHA3-256 digest given in hex.
pub fn parse_digest(hex_digest: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(hex_digest.trim_start_matches("0x"))
        .map_err(|_| anyhow::anyhow!("the key digest must be hexadecimal"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the key digest is 32 bytes (64 hex digits)"))
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

/// Signs `payload` as `identity/<kind>` with the key at `key` and appends it.
fn append(server: &str, key: &Path, kind: &str, payload: Vec<u8>) -> Result<()> {
    let key = read_signing_key(key)?;
    let receipt = Client::new(server).append_signed(&key, DOMAIN, kind, payload)?;
    print_logged(&format!("{DOMAIN}/{kind}"), &receipt);
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
