//! What the export and the imports share: how patients are named, and why
//! a resource is refused.

/// The identifier system of patients' pseudonymous keys.
pub const PATIENT_SYSTEM: &str = "urn:zkaudit:patient-key";

/// Why a FHIR resource is not what zkaudit reads from it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FhirInputError {
    /// The element, as a FHIRPath (`AuditEvent.entity[0].what`).
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

pub(super) fn refuse<T>(
    path: impl Into<String>,
    reason: impl Into<String>,
) -> Result<T, FhirInputError> {
    Err(FhirInputError {
        path: path.into(),
        reason: reason.into(),
    })
}
