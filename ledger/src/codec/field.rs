//! BN254 scalar field elements as 32 canonical big-endian bytes: how every
//! domain stores commitments, roots and nullifiers in its payloads.

use ark_ff::{BigInteger, PrimeField};
use zkaudit_circuits::Fr;

use super::CodecError;

/// A field element as 32 big-endian bytes, canonical (< modulus).
pub fn fr_to_bytes(value: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&value.into_bigint().to_bytes_be());
    out
}

/// Parses 32 big-endian bytes into a field element, refusing non-canonical
/// values with [`CodecError::NonCanonicalField`] naming `what`.
pub fn fr_from_bytes(what: &'static str, bytes: &[u8; 32]) -> Result<Fr, CodecError> {
    let value = Fr::from_be_bytes_mod_order(bytes);
    if &fr_to_bytes(&value) == bytes {
        Ok(value)
    } else {
        Err(CodecError::NonCanonicalField(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_round_trip_and_the_modulus_is_refused() {
        let value = Fr::from(0x0102_0304u64);
        let bytes = fr_to_bytes(&value);
        assert_eq!(bytes[28..], [1, 2, 3, 4]);
        assert_eq!(fr_from_bytes("x", &bytes), Ok(value));
        let modulus: [u8; 32] = Fr::MODULUS.to_bytes_be().try_into().unwrap();
        assert_eq!(
            fr_from_bytes("x", &modulus),
            Err(CodecError::NonCanonicalField("x"))
        );
        assert_eq!(
            fr_from_bytes("root", &[0xff; 32]).unwrap_err().to_string(),
            "root is not a canonical BN254 field element"
        );
    }
}
