//! Why a funds record is refused.

use zkaudit_circuits::funds::FundsError;

use crate::codec::CodecError;

/// Why a funds record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FundsRuleError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field breaks a rule (id syntax, shape, non-canonical field element…).
    #[error("invalid {0}")]
    Invalid(String),
    /// Funds records are signed by an authority.
    #[error("funds records must be signed")]
    Unsigned,
    /// Not a funds kind.
    #[error("unknown funds record kind {0:?}")]
    UnknownKind(String),
    /// The agency has no budget for the period.
    #[error("no budget for period {0:?} of this agency")]
    NoBudget(String),
    /// The period already has a budget.
    #[error("period {0:?} of this agency already has a budget")]
    BudgetExists(String),
    /// The agency already logged a contract for this tender.
    #[error("tender {0:?} of this agency already has a contract")]
    ContractExists(String),
    /// The period is reported: no more expenditures, no second report.
    #[error("period {0:?} of this agency is already reported")]
    PeriodClosed(String),
    /// The report covers another number of items than the period holds.
    #[error("the report covers {claimed} items, the period holds {logged}")]
    ItemCount {
        /// Items the report claims.
        claimed: u32,
        /// Items logged for the period.
        logged: usize,
    },
    /// The period has no report yet (audits need one).
    #[error("period {0:?} of this agency is not reported yet")]
    NotReported(String),
    /// The commitment is already logged for this period.
    #[error("this commitment is already logged for period {0:?}")]
    DuplicateItem(String),
    /// A report's totals are not one per category.
    #[error("expected {expected} totals, found {found}")]
    TotalsCount {
        /// Categories of the budget.
        expected: usize,
        /// Totals given.
        found: usize,
    },
    /// A total exceeds the category's appropriation.
    #[error("category {category} total exceeds its appropriation")]
    OverBudget {
        /// The category.
        category: usize,
    },
    /// A budget category bound to a contract the agency has not logged.
    #[error("no contract {0:?} of this agency")]
    UnknownContract(String),
    /// Payments under a contract would exceed its value.
    #[error("category {category} would bring payments under contract {tender:?} above its value")]
    ContractExceeded {
        /// The category bound to the contract.
        category: usize,
        /// The contract's tender id.
        tender: String,
    },
    /// A report part or report that does not continue the staged parts.
    #[error(
        "the period has {staged} chunks staged; a part must start at chunk 0 or {staged}, a report at {staged} (found {first})"
    )]
    PartOutOfOrder {
        /// Chunks staged by earlier parts.
        staged: u32,
        /// The chunk the part or report starts at.
        first: u32,
    },
    /// A report part covering chunks that are not full of logged items
    /// (the period's last chunk belongs to the report).
    #[error("a report part holds only full chunks of logged items")]
    PartBeyondItems,
    /// The period proof (or part) is malformed, of another shape, or its
    /// chain of running totals is broken.
    #[error("period proof: {0}")]
    Proof(#[from] FundsError),
    /// An audit seed that is not from a checkpoint after the report.
    #[error("the audit seed must come from a checkpoint logged after the report (size > {0})")]
    EarlySeed(u64),
    /// No audit request has this id.
    #[error("unknown audit request")]
    UnknownRequest,
    /// The request already has an answer.
    #[error("the audit request is already answered")]
    AlreadyAnswered,
    /// The answer is not by the audited agency.
    #[error("only the audited agency answers an audit request")]
    NotAgency,
    /// The answer does not open exactly the sampled items.
    #[error("the answer must open exactly the sampled items {expected:?}")]
    WrongSample {
        /// The sampled item positions.
        expected: Vec<u32>,
    },
    /// An opening does not match the logged commitment.
    #[error("the opening of item {item} does not match its logged commitment")]
    OpeningMismatch {
        /// The item's position in the period.
        item: u32,
    },
}

/// Result alias of the funds rules.
pub type FundsResult<T> = std::result::Result<T, FundsRuleError>;

pub(super) fn invalid(what: impl Into<String>) -> FundsRuleError {
    FundsRuleError::Invalid(what.into())
}
