//! The identity domain's steps through the `zkaudit` binary, as an issuer,
//! a holder and a verifier take them: the identity, health (vaccination
//! credentials), election (the voter roll) and land (the title registry)
//! tests all walk them.

use std::path::Path;
use std::process::Output;

use super::{ServerProcess, ok, s};

/// `--attr a --attr b …`.
fn attr_args<'a>(attrs: &'a [&'a str]) -> Vec<&'a str> {
    attrs.iter().flat_map(|a| ["--attr", *a]).collect()
}

/// An authority running `zkaudit issuer …` with its key file against a
/// server.
pub struct Issuer<'a> {
    server: &'a ServerProcess,
    key: &'a str,
}

impl<'a> Issuer<'a> {
    /// The holder of the key file `key`, against `server`.
    pub fn new(server: &'a ServerProcess, key: &'a str) -> Self {
        Self { server, key }
    }

    /// `issuer <command> --key <key> <args…>`, which must succeed.
    fn run(&self, command: &str, args: &[&str]) -> String {
        let head = ["issuer", command, "--key", self.key];
        self.server.ok(&[&head[..], args].concat())
    }

    /// `issuer create-registry`; `options` are the optional flags (title,
    /// depth, window).
    pub fn create_registry(&self, id: &str, attributes: &str, options: &[&str]) -> String {
        let args = ["--id", id, "--attributes", attributes];
        self.run("create-registry", &[&args[..], options].concat())
    }

    /// `issuer issue`: the credential `attrs` for `commitment` in `registry`.
    pub fn issue(&self, registry: &str, commitment: &str, attrs: &[&str]) -> String {
        let args = ["--registry", registry, "--commitment", commitment];
        self.run("issue", &[&args[..], &attr_args(attrs)].concat())
    }

    /// A holder's new wallet at `wallet` (`id new`), the credential
    /// `attrs` issued to it (`issuer issue`) and kept in it
    /// (`id add-credential`); returns the holder's commitment.
    pub fn enrol(&self, registry: &str, wallet: &Path, attrs: &[&str]) -> String {
        let commitment = ok(&["id", "new", "--wallet", s(wallet)]).trim().to_owned();
        self.issue(registry, &commitment, attrs);
        let args = [
            "id",
            "add-credential",
            "--wallet",
            s(wallet),
            "--registry",
            registry,
        ];
        ok(&[&args[..], &attr_args(attrs)].concat());
        commitment
    }

    /// `issuer create-scope`: the scope `id` of `registry`, titled
    /// `title`, whose holders satisfy every predicate.
    pub fn create_scope(&self, id: &str, title: &str, registry: &str, predicates: &[&str]) {
        let mut args = vec!["--id", id, "--title", title, "--registry", registry];
        args.extend(predicates.iter().flat_map(|p| ["--predicate", *p]));
        self.run("create-scope", &args);
    }
}

/// `prove eligibility`: the holder of `wallet` proves membership of
/// `scope` for `message`; the claim goes to `out`, the proving keys are
/// cached in `keys`. Returns the process's output, success or not.
pub fn prove_eligibility(
    server: &ServerProcess,
    wallet: &Path,
    scope: &str,
    message: &str,
    out: &Path,
    keys: &Path,
) -> Output {
    server.run(&[
        "prove",
        "eligibility",
        "--wallet",
        s(wallet),
        "--scope",
        scope,
        "--message",
        message,
        "--out",
        s(out),
        "--keys",
        s(keys),
    ])
}

/// `claim`: sends the claim in the file `claim`; its receipt goes to
/// `receipt`, `options` ask for more (a bundle).
pub fn claim(server: &ServerProcess, claim: &Path, receipt: &Path, options: &[&str]) -> String {
    let args = ["claim", s(claim), "--out", s(receipt)];
    server.ok(&[&args[..], options].concat())
}
