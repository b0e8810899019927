//! Why an identity record or registry operation is refused.

use crate::codec::{CodecError, PredicateError};

/// Why an identity record or registry operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[source] CodecError),
    /// A field element is not canonical (≥ the BN254 scalar field modulus).
    #[error("{0} is not a canonical BN254 field element")]
    NonCanonicalField(&'static str),
    /// The registry spec is invalid.
    #[error("invalid registry: {0}")]
    InvalidSpec(String),
    /// No registry has this id.
    #[error("unknown registry {0:?}")]
    UnknownRegistry(String),
    /// The registry id is taken.
    #[error("registry {0:?} already exists")]
    RegistryExists(String),
    /// Only the registry's issuer may change it.
    #[error("only the issuer of registry {0:?} may change it")]
    NotIssuer(String),
    /// The credential has the wrong number of attributes.
    #[error("registry {registry:?} takes {expected} attributes, got {got}")]
    AttributeCount {
        /// The registry.
        registry: String,
        /// Attributes in its schema.
        expected: usize,
        /// Attributes given.
        got: usize,
    },
    /// No such leaf, or it is already revoked.
    #[error("registry {registry:?} has no live credential at leaf {index}")]
    NoSuchCredential {
        /// The registry.
        registry: String,
        /// The leaf index.
        index: u64,
    },
    /// The registry is full for its circuit depth.
    #[error("registry {0:?} is full for its tree depth")]
    Full(String),
    /// No scope has this id.
    #[error("unknown scope {0:?}")]
    UnknownScope(String),
    /// The scope id is taken.
    #[error("scope {0:?} already exists")]
    ScopeExists(String),
    /// A scope names a key that is not its shape's logged ceremony key.
    #[error("shape {shape} has no logged non-development circuit key with the named digest")]
    KeyNotLogged {
        /// The eligibility shape the scope's claims use.
        shape: String,
    },
}

/// Result alias of the identity domain.
pub type IdentityResult<T> = std::result::Result<T, IdentityError>;

/// A payload's field element that is not canonical is named as such; every
/// other codec failure is a malformed payload.
impl From<CodecError> for IdentityError {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::NonCanonicalField(what) => Self::NonCanonicalField(what),
            other => Self::Malformed(other),
        }
    }
}

impl From<PredicateError> for IdentityError {
    fn from(e: PredicateError) -> Self {
        match e {
            PredicateError::Count(_) => Self::InvalidSpec("1 to 8 predicates".into()),
            PredicateError::Codec(e) => e.into(),
        }
    }
}
