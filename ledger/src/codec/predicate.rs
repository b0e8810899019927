//! The canonical encoding of attribute predicates: the eligibility rules
//! that claim scopes (identity) and elections state over a credential.

use zkaudit_circuits::predicate::{AttributePredicate, SET_SIZE};

use super::{CodecError, Reader, Writer};

/// Most predicates a rule has: one per credential attribute.
const MAX_PREDICATES: usize = 8;

/// Why encoded predicates were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PredicateError {
    /// Not 1 to 8 predicates.
    #[error("{0} predicates: a rule has 1 to 8")]
    Count(usize),
    /// The bytes are not a canonical encoding.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Writes 1 to 8 predicates: a count, then each `min ‖ max ‖ set flag
/// [‖ 4 set values]`.
pub(crate) fn write_predicates(w: &mut Writer, predicates: &[AttributePredicate]) {
    w.u8(predicates.len() as u8);
    for p in predicates {
        w.u64(p.min).u64(p.max);
        match p.set {
            None => {
                w.u8(0);
            }
            Some(set) => {
                w.u8(1);
                for v in set {
                    w.u64(v);
                }
            }
        }
    }
}

/// Reads what [`write_predicates`] writes, strictly.
pub(crate) fn read_predicates(
    r: &mut Reader<'_>,
) -> Result<Vec<AttributePredicate>, PredicateError> {
    let n = r.u8("predicate count")? as usize;
    if n == 0 || n > MAX_PREDICATES {
        return Err(PredicateError::Count(n));
    }
    let mut predicates = Vec::with_capacity(n);
    for _ in 0..n {
        let min = r.u64("min")?;
        let max = r.u64("max")?;
        let set = if r.flag("set flag")? {
            let mut set = [0u64; SET_SIZE];
            for v in &mut set {
                *v = r.u64("set value")?;
            }
            Some(set)
        } else {
            None
        };
        predicates.push(AttributePredicate { min, max, set });
    }
    Ok(predicates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(predicates: &[AttributePredicate]) -> Vec<u8> {
        let mut w = Writer::new();
        write_predicates(&mut w, predicates);
        w.finish()
    }

    #[test]
    fn predicates_round_trip_strictly() {
        let predicates = vec![
            AttributePredicate::at_most(20_080_101),
            AttributePredicate::one_of(&[7, 8]).unwrap(),
        ];
        let bytes = encoded(&predicates);
        let mut r = Reader::new(&bytes);
        assert_eq!(read_predicates(&mut r).unwrap(), predicates);
        r.finish().unwrap();

        assert_eq!(
            read_predicates(&mut Reader::new(&encoded(&[]))),
            Err(PredicateError::Count(0))
        );
        let nine = vec![AttributePredicate::at_most(1); 9];
        assert_eq!(
            read_predicates(&mut Reader::new(&encoded(&nine))),
            Err(PredicateError::Count(9))
        );
        let mut bad_flag = encoded(&predicates[..1]);
        *bad_flag.last_mut().unwrap() = 2;
        assert!(matches!(
            read_predicates(&mut Reader::new(&bad_flag)),
            Err(PredicateError::Codec(CodecError::Invalid {
                what: "set flag",
                ..
            }))
        ));
        let truncated = &bytes[..bytes.len() - 1];
        assert!(matches!(
            read_predicates(&mut Reader::new(truncated)),
            Err(PredicateError::Codec(CodecError::Truncated { .. }))
        ));
    }
}
