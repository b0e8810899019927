//! snarkjs's Groth16 JSON formats: `verification_key.json`, `proof.json` and
//! `public.json`, imported strictly and exported exactly as snarkjs 0.7
//! writes them, so third-party tools verify our proofs and we verify theirs.
//!
//! # The mapping
//!
//! snarkjs writes points in projective coordinates, as decimal strings of the
//! plain (not Montgomery) integers, always normalized to `z = 1`:
//!
//! - G1: `[x, y, "1"]`; the point at infinity is `["0", "1", "0"]`.
//! - G2: `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]` — each `Fq2` element
//!   `c0 + c1·u` as `[c0, c1]`, **`c0` first**, the same order as arkworks'
//!   `Fq2 { c0, c1 }`; the point at infinity is
//!   `[["0", "0"], ["1", "0"], ["0", "0"]]`.
//! - `vk_alphabeta_12 = e(α, β)` in `Fq12 = Fq6[w]`, `Fq6 = Fq2[v]`:
//!   `[[c0.c0, c0.c1, c0.c2], [c1.c0, c1.c1, c1.c2]]` with each `Fq2` as
//!   above — again arkworks' order.
//! - public signals: a JSON array of decimal strings, in circuit order.
//!
//! # Strictness
//!
//! Imports reject unknown fields, a `protocol` other than `"groth16"`, a
//! curve other than BN254 (`"bn128"`; snarkjs's aliases `"bn254"` and
//! `"alt_bn128"` are accepted too), non-canonical decimals (signs,
//! whitespace, leading zeros, values not below the modulus), any `z` other
//! than `1` or the canonical point at infinity, points off the curve or
//! outside the prime-order subgroup (snarkjs itself only checks the curve),
//! an `nPublic` that disagrees with `IC`, a `vk_alphabeta_12` that is not
//! `e(α, β)`, and inputs longer than [`MAX_JSON_BYTES`].

use ark_bn254::{Bn254, Fq, Fq2, Fq6, Fq12, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ec::pairing::Pairing;
use ark_groth16::{Proof, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::groth16::{MAX_PUBLIC_INPUTS, decimal_string, decode_field_decimal, parse_decimal};
use crate::{Result, VerifyError};

/// Longest JSON document an import reads (a key with [`MAX_PUBLIC_INPUTS`]
/// inputs is about 12 MiB).
pub const MAX_JSON_BYTES: usize = 16 << 20;

/// The `protocol` of snarkjs's Groth16 files.
pub const PROTOCOL: &str = "groth16";

/// The `curve` snarkjs calls BN254.
pub const CURVE: &str = "bn128";

/// A G1 point in snarkjs's JSON: `[x, y, z]`, decimal strings.
pub type G1Json = [String; 3];

/// A G2 point in snarkjs's JSON: `[[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]`.
pub type G2Json = [[String; 2]; 3];

/// An `Fq12` element in snarkjs's JSON (see the [module documentation](self)).
pub type Fq12Json = [[[String; 2]; 3]; 2];

/// snarkjs's `verification_key.json` for Groth16.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationKeyJson {
    /// Always `"groth16"`.
    pub protocol: String,
    /// `"bn128"`.
    pub curve: String,
    /// Number of public signals; `IC` has one point more.
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    /// `α` in G1.
    pub vk_alpha_1: G1Json,
    /// `β` in G2.
    pub vk_beta_2: G2Json,
    /// `γ` in G2.
    pub vk_gamma_2: G2Json,
    /// `δ` in G2.
    pub vk_delta_2: G2Json,
    /// `e(α, β)`; checked on import when present, always exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk_alphabeta_12: Option<Fq12Json>,
    /// The input commitment bases `IC₀ … IC_nPublic` in G1.
    #[serde(rename = "IC")]
    pub ic: Vec<G1Json>,
}

/// snarkjs's `proof.json` for Groth16.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofJson {
    /// `A` in G1.
    pub pi_a: G1Json,
    /// `B` in G2.
    pub pi_b: G2Json,
    /// `C` in G1.
    pub pi_c: G1Json,
    /// Always `"groth16"`.
    pub protocol: String,
    /// `"bn128"`; rapidsnark omits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

fn malformed(what: &'static str, reason: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        what,
        reason: reason.into(),
    }
}

fn check_protocol(what: &'static str, protocol: &str) -> Result<()> {
    if protocol != PROTOCOL {
        return Err(malformed(
            what,
            format!("protocol {protocol:?}, expected \"groth16\""),
        ));
    }
    Ok(())
}

fn check_curve(what: &'static str, curve: &str) -> Result<()> {
    // snarkjs normalizes curve names to upper-case alphanumerics; these are
    // its names of BN254.
    if !matches!(curve, "bn128" | "bn254" | "alt_bn128") {
        return Err(malformed(
            what,
            format!("curve {curve:?}, expected \"bn128\""),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Points
// ---------------------------------------------------------------------------

fn fq2_to_json(x: &Fq2) -> [String; 2] {
    [decimal_string(&x.c0), decimal_string(&x.c1)]
}

fn fq2_from_json(what: &'static str, x: &[String; 2]) -> Result<Fq2> {
    Ok(Fq2::new(
        parse_decimal::<Fq>(what, &x[0])?,
        parse_decimal::<Fq>(what, &x[1])?,
    ))
}

/// Exports a G1 point as snarkjs does.
pub fn g1_to_json(p: &G1Affine) -> G1Json {
    match p.xy() {
        Some((x, y)) => [decimal_string(&x), decimal_string(&y), "1".into()],
        None => ["0".into(), "1".into(), "0".into()],
    }
}

/// Imports an untrusted G1 point: `z = 1` with `(x, y)` on the curve (G1 of
/// BN254 has prime order), or exactly `["0", "1", "0"]`.
pub fn g1_from_json(what: &'static str, p: &G1Json) -> Result<G1Affine> {
    match p[2].as_str() {
        "1" => {
            let point = G1Affine::new_unchecked(
                parse_decimal::<Fq>(what, &p[0])?,
                parse_decimal::<Fq>(what, &p[1])?,
            );
            if !point.is_on_curve() || !point.is_in_correct_subgroup_assuming_on_curve() {
                return Err(malformed(what, "G1 point is not on the curve"));
            }
            Ok(point)
        }
        "0" if p[0] == "0" && p[1] == "1" => Ok(G1Affine::identity()),
        _ => Err(malformed(
            what,
            "G1 point must have z = 1 or be the point at infinity [0, 1, 0]",
        )),
    }
}

/// Exports a G2 point as snarkjs does.
pub fn g2_to_json(p: &G2Affine) -> G2Json {
    let zero = || "0".to_string();
    let one = || "1".to_string();
    match p.xy() {
        Some((x, y)) => [fq2_to_json(&x), fq2_to_json(&y), [one(), zero()]],
        None => [[zero(), zero()], [one(), zero()], [zero(), zero()]],
    }
}

/// Imports an untrusted G2 point: `z = ["1", "0"]` with `(x, y)` on the
/// twist **and** in the prime-order subgroup, or exactly the point at
/// infinity `[["0", "0"], ["1", "0"], ["0", "0"]]`.
pub fn g2_from_json(what: &'static str, p: &G2Json) -> Result<G2Affine> {
    let is = |x: &[String; 2], c0: &str, c1: &str| x[0] == c0 && x[1] == c1;
    if is(&p[2], "1", "0") {
        let point =
            G2Affine::new_unchecked(fq2_from_json(what, &p[0])?, fq2_from_json(what, &p[1])?);
        if !point.is_on_curve() {
            return Err(malformed(what, "G2 point is not on the curve"));
        }
        if !crate::g2_subgroup::in_g2_assuming_on_curve(&point) {
            return Err(malformed(
                what,
                "G2 point is not in the prime-order subgroup",
            ));
        }
        Ok(point)
    } else if is(&p[2], "0", "0") && is(&p[0], "0", "0") && is(&p[1], "1", "0") {
        Ok(G2Affine::identity())
    } else {
        Err(malformed(
            what,
            "G2 point must have z = [1, 0] or be the point at infinity [[0, 0], [1, 0], [0, 0]]",
        ))
    }
}

fn fq12_to_json(f: &Fq12) -> Fq12Json {
    let fq6 = |x: &Fq6| [fq2_to_json(&x.c0), fq2_to_json(&x.c1), fq2_to_json(&x.c2)];
    [fq6(&f.c0), fq6(&f.c1)]
}

fn fq12_from_json(what: &'static str, f: &Fq12Json) -> Result<Fq12> {
    let fq6 = |x: &[[String; 2]; 3]| -> Result<Fq6> {
        Ok(Fq6::new(
            fq2_from_json(what, &x[0])?,
            fq2_from_json(what, &x[1])?,
            fq2_from_json(what, &x[2])?,
        ))
    };
    Ok(Fq12::new(fq6(&f[0])?, fq6(&f[1])?))
}

// ---------------------------------------------------------------------------
// Verifying keys
// ---------------------------------------------------------------------------

impl VerificationKeyJson {
    /// The snarkjs form of `vk`, including `vk_alphabeta_12 = e(α, β)`.
    pub fn from_vk(vk: &VerifyingKey<Bn254>) -> Self {
        let alphabeta = Bn254::pairing(vk.alpha_g1, vk.beta_g2).0;
        Self {
            protocol: PROTOCOL.into(),
            curve: CURVE.into(),
            n_public: vk.gamma_abc_g1.len().saturating_sub(1),
            vk_alpha_1: g1_to_json(&vk.alpha_g1),
            vk_beta_2: g2_to_json(&vk.beta_g2),
            vk_gamma_2: g2_to_json(&vk.gamma_g2),
            vk_delta_2: g2_to_json(&vk.delta_g2),
            vk_alphabeta_12: Some(fq12_to_json(&alphabeta)),
            ic: vk.gamma_abc_g1.iter().map(g1_to_json).collect(),
        }
    }

    /// The verifying key, checked strictly (see the
    /// [module documentation](self)).
    pub fn to_vk(&self) -> Result<VerifyingKey<Bn254>> {
        const WHAT: &str = "snarkjs verification key";
        check_protocol(WHAT, &self.protocol)?;
        check_curve(WHAT, &self.curve)?;
        if self.ic.is_empty() || self.ic.len() > MAX_PUBLIC_INPUTS + 1 {
            return Err(malformed(WHAT, format!("{} IC points", self.ic.len())));
        }
        if self.n_public != self.ic.len() - 1 {
            return Err(malformed(
                WHAT,
                format!(
                    "nPublic is {} but IC has {} points",
                    self.n_public,
                    self.ic.len()
                ),
            ));
        }
        let vk = VerifyingKey {
            alpha_g1: g1_from_json("snarkjs vk_alpha_1", &self.vk_alpha_1)?,
            beta_g2: g2_from_json("snarkjs vk_beta_2", &self.vk_beta_2)?,
            gamma_g2: g2_from_json("snarkjs vk_gamma_2", &self.vk_gamma_2)?,
            delta_g2: g2_from_json("snarkjs vk_delta_2", &self.vk_delta_2)?,
            gamma_abc_g1: self
                .ic
                .iter()
                .map(|p| g1_from_json("snarkjs IC", p))
                .collect::<Result<_>>()?,
        };
        if let Some(alphabeta) = &self.vk_alphabeta_12 {
            let given = fq12_from_json("snarkjs vk_alphabeta_12", alphabeta)?;
            if given != Bn254::pairing(vk.alpha_g1, vk.beta_g2).0 {
                return Err(malformed(WHAT, "vk_alphabeta_12 is not e(alpha, beta)"));
            }
        }
        Ok(vk)
    }
}

// ---------------------------------------------------------------------------
// Proofs
// ---------------------------------------------------------------------------

impl ProofJson {
    /// The snarkjs form of `proof`.
    pub fn from_proof(proof: &Proof<Bn254>) -> Self {
        Self {
            pi_a: g1_to_json(&proof.a),
            pi_b: g2_to_json(&proof.b),
            pi_c: g1_to_json(&proof.c),
            protocol: PROTOCOL.into(),
            curve: Some(CURVE.into()),
        }
    }

    /// The proof, checked strictly (see the [module documentation](self)).
    pub fn to_proof(&self) -> Result<Proof<Bn254>> {
        const WHAT: &str = "snarkjs proof";
        check_protocol(WHAT, &self.protocol)?;
        if let Some(curve) = &self.curve {
            check_curve(WHAT, curve)?;
        }
        Ok(Proof {
            a: g1_from_json("snarkjs pi_a", &self.pi_a)?,
            b: g2_from_json("snarkjs pi_b", &self.pi_b)?,
            c: g1_from_json("snarkjs pi_c", &self.pi_c)?,
        })
    }
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

/// Serializes like snarkjs (`JSON.stringify(value, null, 1)`).
fn to_snarkjs_string<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .expect("serializing strings and numbers cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

fn from_json<T: for<'de> Deserialize<'de>>(what: &'static str, json: &str) -> Result<T> {
    if json.len() > MAX_JSON_BYTES {
        return Err(malformed(
            what,
            format!("{} bytes, more than {MAX_JSON_BYTES}", json.len()),
        ));
    }
    serde_json::from_str(json).map_err(|e| malformed(what, e.to_string()))
}

/// Writes `vk` as snarkjs's `verification_key.json`.
pub fn export_vk(vk: &VerifyingKey<Bn254>) -> String {
    to_snarkjs_string(&VerificationKeyJson::from_vk(vk))
}

/// Reads an untrusted `verification_key.json` (strictly).
pub fn import_vk(json: &str) -> Result<VerifyingKey<Bn254>> {
    from_json::<VerificationKeyJson>("snarkjs verification key", json)?.to_vk()
}

/// Writes `proof` as snarkjs's `proof.json`.
pub fn export_proof(proof: &Proof<Bn254>) -> String {
    to_snarkjs_string(&ProofJson::from_proof(proof))
}

/// Reads an untrusted `proof.json` (strictly).
pub fn import_proof(json: &str) -> Result<Proof<Bn254>> {
    from_json::<ProofJson>("snarkjs proof", json)?.to_proof()
}

/// The public signals as snarkjs writes them: decimal strings.
pub fn public_to_strings(public_inputs: &[Fr]) -> Vec<String> {
    public_inputs.iter().map(decimal_string).collect()
}

/// Parses untrusted public signals given as decimal strings (strictly).
pub fn public_from_strings<S: AsRef<str>>(signals: &[S]) -> Result<Vec<Fr>> {
    if signals.len() > MAX_PUBLIC_INPUTS {
        return Err(malformed(
            "snarkjs public signals",
            format!("{} signals, more than {MAX_PUBLIC_INPUTS}", signals.len()),
        ));
    }
    signals
        .iter()
        .map(|s| decode_field_decimal(s.as_ref()))
        .collect()
}

/// Writes public inputs as snarkjs's `public.json`.
pub fn export_public(public_inputs: &[Fr]) -> String {
    to_snarkjs_string(&public_to_strings(public_inputs))
}

/// Reads an untrusted `public.json` (strictly).
pub fn import_public(json: &str) -> Result<Vec<Fr>> {
    public_from_strings(&from_json::<Vec<String>>("snarkjs public signals", json)?)
}
