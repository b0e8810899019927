//! IPA parameters and the chunk circuit's keys, generated deterministically
//! (no trusted setup, see the [module documentation](super)); the tests pin
//! the verifying keys.

use std::io;
use std::path::Path;

use halo2_proofs::plonk::{ProvingKey, VerifyingKey, keygen_pk, keygen_vk};
use halo2_proofs::poly::commitment::Params;
use pasta_curves::EqAffine;

use super::circuit::{FundsChunkCircuit, in_layout};
use super::{FundsError, FundsShape, Result};

/// IPA commitment parameters over Vesta (`EqAffine`), for circuits of up to
/// `2^k` rows.
#[derive(Clone, Debug)]
pub struct FundsParams(pub(super) Params<EqAffine>);

impl FundsParams {
    /// Generates the parameters for `2^k` rows (deterministic; seconds for
    /// k ≈ 16 — cache them).
    pub fn new(k: u32) -> Self {
        Self(Params::new(k))
    }

    /// The parameters' `k`.
    pub fn k(&self) -> u32 {
        self.0.k()
    }

    /// halo2's parameters.
    pub fn inner(&self) -> &Params<EqAffine> {
        &self.0
    }

    /// Writes the parameters in halo2's format.
    pub fn write(&self, writer: &mut impl io::Write) -> Result<()> {
        self.0.write(writer).map_err(io_error)
    }

    /// Reads parameters written by [`FundsParams::write`]. A cache file is
    /// trusted as much as the local disk it sits on.
    pub fn read(reader: &mut impl io::Read) -> Result<Self> {
        Params::read(reader).map(Self).map_err(io_error)
    }

    /// Reads the parameters for `k` from `path`, or generates them and
    /// writes them there (through a temporary file and a rename, so a
    /// crash never leaves a half-written cache). A cached file for another
    /// `k` is regenerated.
    pub fn load_or_create(path: &Path, k: u32) -> Result<Self> {
        if let Ok(file) = std::fs::File::open(path) {
            let mut reader = io::BufReader::new(file);
            if let Ok(params) = Self::read(&mut reader)
                && params.k() == k
            {
                return Ok(params);
            }
        }
        let params = Self::new(k);
        // A temporary name of this process and moment: two processes that
        // fill the same cache at once each write their own file, and the
        // last rename wins with a complete one.
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let tmp = path.with_extension(format!("tmp-{}-{nonce}", std::process::id()));
        {
            let file = std::fs::File::create(&tmp).map_err(io_error)?;
            let mut writer = io::BufWriter::new(file);
            params.write(&mut writer)?;
            io::Write::flush(&mut writer).map_err(io_error)?;
        }
        std::fs::rename(&tmp, path).map_err(io_error)?;
        Ok(params)
    }
}

fn io_error(error: io::Error) -> FundsError {
    FundsError::Io(error.to_string())
}

pub(super) fn halo2_error(error: halo2_proofs::plonk::Error) -> FundsError {
    FundsError::Halo2(error.to_string())
}

/// The verifying key of a chunk shape, generated from the parameters.
#[derive(Clone, Debug)]
pub struct FundsVerifyingKey {
    pub(super) shape: FundsShape,
    pub(super) vk: VerifyingKey<EqAffine>,
}

impl FundsVerifyingKey {
    /// Generates the verifying key of `shape` (deterministic).
    /// [`FundsError::Halo2`] if the parameters are too small for the shape.
    pub fn generate(params: &FundsParams, shape: FundsShape) -> Result<Self> {
        in_layout!(FundsChunkCircuit::for_keygen(shape), |circuit| keygen_vk(
            &params.0, &circuit
        ))
        .map(|vk| Self { shape, vk })
        .map_err(halo2_error)
    }

    /// The key's shape.
    pub fn shape(&self) -> FundsShape {
        self.shape
    }
}

/// The proving key of a chunk shape.
#[derive(Debug)]
pub struct FundsProvingKey {
    pub(super) shape: FundsShape,
    pub(super) pk: ProvingKey<EqAffine>,
}

impl FundsProvingKey {
    /// Generates the proving key of `shape` (deterministic).
    pub fn generate(params: &FundsParams, shape: FundsShape) -> Result<Self> {
        in_layout!(FundsChunkCircuit::for_keygen(shape), |circuit| {
            let vk = keygen_vk(&params.0, &circuit).map_err(halo2_error)?;
            keygen_pk(&params.0, vk, &circuit)
        })
        .map(|pk| Self { shape, pk })
        .map_err(halo2_error)
    }

    /// The key's shape.
    pub fn shape(&self) -> FundsShape {
        self.shape
    }

    /// The matching verifying key.
    pub fn verifying_key(&self) -> FundsVerifyingKey {
        FundsVerifyingKey {
            shape: self.shape,
            vk: self.pk.get_vk().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use sha3::{Digest, Sha3_256};

    use super::*;
    use crate::funds::FundsLayout;

    /// SHA3-256 (hex) of the verifying key's pinned representation: what
    /// halo2 hashes into every proof's transcript (zcash orchard pins its
    /// key the same way).
    fn pinned_digest(vk: &FundsVerifyingKey) -> String {
        let pinned = format!("{:?}", vk.vk.pinned());
        Sha3_256::digest(pinned.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// Checks the verifying key of every `(chunk size, categories, digest)`
    /// in `layout`, generating the parameters once per `k`.
    fn assert_pinned(layout: FundsLayout, pinned: &[(usize, usize, &str)]) {
        let mut params: Option<FundsParams> = None;
        let mut mismatches = Vec::new();
        for &(chunk_size, categories, digest) in pinned {
            let shape = FundsShape::new(chunk_size, categories)
                .unwrap()
                .with_layout(layout);
            if params.as_ref().map(FundsParams::k) != Some(shape.k()) {
                params = Some(FundsParams::new(shape.k()));
            }
            let params = params.as_ref().expect("generated for this k");
            let found = pinned_digest(&FundsVerifyingKey::generate(params, shape).unwrap());
            if found != digest {
                mismatches.push(format!("({chunk_size}, {categories}): {found}"));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{layout:?}: verifying keys changed (see the test's documentation): {mismatches:#?}"
        );
    }

    /// The funds circuit's verifying keys of layout version 1 (one hasher)
    /// are pinned (SHA3-256 of halo2's pinned representation) for every
    /// number of categories at 4 items per chunk, and for 16 and 64 items
    /// per chunk (`k` = 11 and 12); [`demo_shape_verifying_key_is_pinned`]
    /// and [`production_verifying_key_is_pinned`] pin 256 and 1,024 items.
    ///
    /// # When this fails
    ///
    /// The chunk circuit changed (or halo2's key generation did), however
    /// harmless the change looks. The service and every verifier regenerate
    /// the verifying key from this code, so every report logged so far,
    /// proved against the old key, would stop verifying. Do **not** update
    /// the digests: keep the old circuit as it is and introduce the changed
    /// one as a new circuit version beside it (selected, say, by a new
    /// period-proof magic `zkfunds2`), so that logged reports still verify
    /// under the key they were proved with. Only digests of a new version
    /// are added here. (Version 2, two hashers, was introduced this way:
    /// [`two_hasher_verifying_keys_are_pinned`].)
    #[test]
    fn verifying_keys_are_pinned() {
        let mut pinned: Vec<(usize, usize, &str)> = (1..=16)
            .zip(CHUNK_4_DIGESTS)
            .map(|(categories, digest)| (4, categories, digest))
            .collect();
        pinned.extend([
            (
                16,
                1,
                "64068d18040122f34ac59e1fbd72ab36e5f849228452812edab2de04ac09ddf1",
            ),
            (
                16,
                16,
                "3207198d4c7e6707c6b9fea35f57752d3dc7d15b075069630ed2e2ab74707fd2",
            ),
            (
                64,
                1,
                "638d0295d04a3a78258ed3cc69ae1d400ee3a4962192839302d228ff1ba0c499",
            ),
            (
                64,
                16,
                "662aef11844e86a341747c8130684d947922fd5e3a7be3a8e1dd65886e5d5c3d",
            ),
        ]);
        assert_pinned(FundsLayout::OneHasher, &pinned);
    }

    /// [`verifying_keys_are_pinned`] for layout version 2 (two hashers),
    /// the layout of new reports: small shapes, 256 items (the demo's) and
    /// 1,024 (production, `k` = 15). What to do when it fails is in
    /// [`verifying_keys_are_pinned`].
    #[test]
    fn two_hasher_verifying_keys_are_pinned() {
        assert_eq!(FundsLayout::CURRENT, FundsLayout::TwoHashers);
        assert_pinned(
            FundsLayout::TwoHashers,
            &[
                (
                    4,
                    1,
                    "ce1d54241c2cf132c8a3621a3db34dbc13bd2b1387baa1c3fdb564f4ed20717c",
                ),
                (
                    4,
                    16,
                    "65025e83922648cffcd6e0fa4dd01c314a7062e15a40f1a2ed1105616b2d5f97",
                ),
                (
                    16,
                    1,
                    "9898862a085f1399a8a591db76803a4cc422bc07a0be51fee4204cfa80057507",
                ),
                (
                    16,
                    16,
                    "d0fe84d7708cfe3dfb8fd99f1e3639b9fde27cb0838253cbda5a731d19752287",
                ),
                (
                    64,
                    1,
                    "d02acfba904de97313df5944ffa9a092b86076dc750f7211f54b40be6fb40fe6",
                ),
                (
                    64,
                    16,
                    "897d264fc8a39b5d1a2d79feceaec606ec026d9e2f0fa2f5cae5de5ee8bdfd21",
                ),
                (
                    256,
                    16,
                    "a7920c1cd5e93e335ff1f1b49cadf4961a56af02baea97737db8f56176a8ff0a",
                ),
                (
                    1024,
                    16,
                    "28a95a71e5cdb53ec642b296b5c0f810eddfc19acaa17a1bd0b09df16814c62e",
                ),
            ],
        );
    }

    /// The verifying keys at 4 items per chunk, for 1 to 16 categories.
    const CHUNK_4_DIGESTS: [&str; 16] = [
        "18fbd37c92685b2cf0a7e3afbb56ab4d9a6ad381c00a84ea387d110c112ce4e0",
        "7531c3e4428405b96ba86438482077c17ba28a45a3de39b1482eb4e02bb5c853",
        "0ec891e7d68cadd017adc079a4478c55e2e312262b719d0447e43eb53cc854b4",
        "bcfdb681e762c49424ab53a34b22d61fd2301bfe652dac45b14b23f802f40e71",
        "88cc1ae9f776ed06d12a8c010ca227e1650a67b7f80fce94efe1a260926029b5",
        "473112c687ac71a3bd3f02ae0667182df612dc00e837b4406b1258b092a5187b",
        "a894c7f9b5cae59405189c279e552bd2f2af850a0d01f59267d58cda3ceb0785",
        "1fd12f54d950b18468862df8ac57bfe40ade9def679d454481842302e41269fd",
        "70992ceb0f729de3dfaa40e320305c2e24001eec07bb701a4c991ceab1a12243",
        "f42910c80ba889a2763600dab5fb72e21ed07d4bd58b5c7625a65c0153c842da",
        "d7747d11708cd40978f11ffd81ca2a49a93b8ff1f378f6efaeb56157d53c1e17",
        "03bc30dc5d8bbf3aefa1525726436454659e7564ef3690bc5805d1ff5981a510",
        "36172ec298b706b0dafd9ba346686f1f30b0512e9c087cd4763129d5403c8af1",
        "6751910f99bd4cd7c0857840dbc84c183787dfb8232da5f957f5f24946426dab",
        "19cdbd191002732b75773c9d91a0349793229730102aa675d24c9e1c100198bc",
        "18a1f9cf0fc5a404bcc9fbaaac65a3d450b10c10d13194120812397ee4f27ed6",
    ];

    /// [`verifying_keys_are_pinned`] for 256 items per chunk (`k` = 14), the
    /// shape the demo proves. What to do when it fails is in
    /// [`verifying_keys_are_pinned`].
    #[test]
    fn demo_shape_verifying_key_is_pinned() {
        assert_pinned(
            FundsLayout::OneHasher,
            &[(
                256,
                16,
                "006f1b43104c62ce10a7494b50c572429166dc214b98aa5e2d4e3bbeb85eddc1",
            )],
        );
    }

    /// [`verifying_keys_are_pinned`] for the production shape, 1,024 items
    /// and 16 categories, in version 1 (`k` = 16): the key every report
    /// logged before version 2 is checked against. Generating the `k` = 16 parameters takes about
    /// a minute, which CI pays so that this key can never drift unnoticed.
    #[test]
    fn production_verifying_key_is_pinned() {
        assert_eq!(FundsShape::PRODUCTION, FundsShape::new(1024, 16).unwrap());
        assert_pinned(
            FundsLayout::OneHasher,
            &[(
                1024,
                16,
                "c794d2d8f505276f36244598b25336a594449ad781ce2fd121b526adb7a83330",
            )],
        );
    }

    #[test]
    fn params_cache_round_trips() {
        let dir = std::env::temp_dir().join(format!("zkaudit-funds-params-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k4.params");
        let created = FundsParams::load_or_create(&path, 4).unwrap();
        let loaded = FundsParams::load_or_create(&path, 4).unwrap();
        let bytes = |p: &FundsParams| {
            let mut out = Vec::new();
            p.write(&mut out).unwrap();
            out
        };
        assert_eq!(bytes(&created), bytes(&loaded));
        assert_eq!(bytes(&created), bytes(&FundsParams::new(4)));
        // A cache for another k is replaced.
        assert_eq!(FundsParams::load_or_create(&path, 5).unwrap().k(), 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
