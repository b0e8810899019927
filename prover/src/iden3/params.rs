//! The parameters snarkjs appends to every contribution record, in `.ptau`
//! (section 7) and `.zkey` (section 10) files alike: a `u32` type (0 for a
//! contributor, 1 for a beacon), then a `u32` length and tagged values in
//! increasing tag order — 1 the name (≤ 64 bytes), 2 the beacon's iteration
//! exponent, 3 the beacon value.

use super::FormatError;
use super::binfile::Reader;

/// The longest contributor name snarkjs keeps, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// How a contribution was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContributionKind {
    /// A contributor's secret randomness.
    Contributor,
    /// A public random beacon: `2^iterations_exp` hash iterations of `hash`.
    Beacon {
        /// The iteration exponent.
        iterations_exp: u8,
        /// The beacon value.
        hash: Vec<u8>,
    },
}

/// `name` cut to at most [`MAX_NAME_BYTES`] bytes at a character boundary.
pub fn truncate_name(name: &str) -> &str {
    let mut end = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Writes the type and parameters of a contribution.
pub fn write_params(out: &mut Vec<u8>, kind: &ContributionKind, name: Option<&str>) {
    let mut params = Vec::new();
    if let Some(name) = name {
        let name = truncate_name(name);
        params.push(1);
        params.push(name.len() as u8);
        params.extend_from_slice(name.as_bytes());
    }
    let kind = match kind {
        ContributionKind::Contributor => 0u32,
        ContributionKind::Beacon {
            iterations_exp,
            hash,
        } => {
            params.extend_from_slice(&[2, *iterations_exp, 3, hash.len() as u8]);
            params.extend_from_slice(hash);
            1
        }
    };
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    out.extend_from_slice(&params);
}

/// Reads the type and parameters of a contribution.
pub fn read_params(
    section: &mut Reader<'_>,
) -> Result<(ContributionKind, Option<String>), FormatError> {
    let kind = section.u32()?;
    let params_len = section.u32()? as usize;
    let mut params = Reader::new(section.take(params_len)?, "a contribution's parameters");
    let (mut name, mut iterations_exp, mut hash) = (None, None, None);
    let mut last = 0u8;
    while params.remaining() > 0 {
        let [tag] = params.array::<1>()?;
        if tag <= last {
            return Err(FormatError::Unsupported(
                "contribution parameters out of order",
            ));
        }
        last = tag;
        match tag {
            1 => {
                let [len] = params.array::<1>()?;
                let bytes = params.take(len.into())?;
                name = Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
                    FormatError::Unsupported("a contributor name that is not UTF-8")
                })?);
            }
            2 => iterations_exp = Some(params.array::<1>()?[0]),
            3 => {
                let [len] = params.array::<1>()?;
                hash = Some(params.take(len.into())?.to_vec());
            }
            _ => {
                return Err(FormatError::Unsupported(
                    "an unknown contribution parameter",
                ));
            }
        }
    }
    let kind = match (kind, iterations_exp, hash) {
        (0, None, None) => ContributionKind::Contributor,
        (1, Some(iterations_exp), Some(hash)) => ContributionKind::Beacon {
            iterations_exp,
            hash,
        },
        _ => {
            return Err(FormatError::Unsupported(
                "a contribution type other than contributor or beacon",
            ));
        }
    };
    Ok((kind, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_and_disorder_is_refused() {
        let beacon = ContributionKind::Beacon {
            iterations_exp: 12,
            hash: vec![1, 2, 3],
        };
        for (kind, name) in [
            (ContributionKind::Contributor, None),
            (ContributionKind::Contributor, Some("ada")),
            (beacon.clone(), Some("final")),
        ] {
            let mut bytes = Vec::new();
            write_params(&mut bytes, &kind, name);
            let mut reader = Reader::new(&bytes, "test");
            assert_eq!(
                read_params(&mut reader).unwrap(),
                (kind, name.map(str::to_owned))
            );
            reader.finish().unwrap();
        }
        // Tag 3 before tag 2.
        let mut bytes = 1u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&6u32.to_le_bytes());
        bytes.extend_from_slice(&[3, 1, 9, 2, 10, 0]);
        assert!(read_params(&mut Reader::new(&bytes, "t")).is_err());
        assert_eq!(truncate_name(&"é".repeat(40)).len(), 64);
    }
}
