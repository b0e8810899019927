//! The conventions the export and the import share: amounts in minor
//! units of a named currency, and a consortium's supplier names in one
//! `winner`.

use serde_json::{Value, json};

/// Between the names of a contract's suppliers (a consortium) in its
/// `winner`.
pub const SUPPLIER_SEPARATOR: &str = "; ";

/// How minor units are published: OCDS values are in the currency's major
/// unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// ISO 4217 code (`XXX`: no currency named).
    pub currency: String,
    /// Decimal places of the currency's minor unit (2 for EUR, 0 for JPY).
    pub decimals: u32,
}

impl Money {
    /// `currency` (three capital letters) with `decimals` (at most 4).
    pub fn new(currency: &str, decimals: u32) -> Result<Self, String> {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("{currency:?} is not an ISO 4217 code"));
        }
        if decimals > 4 {
            return Err(format!("{decimals} decimal places: at most 4"));
        }
        Ok(Self {
            currency: currency.to_owned(),
            decimals,
        })
    }

    /// An OCDS `Value` of `minor` units. A JSON number: exact up to 2^53
    /// minor units; the extension keeps the exact proven totals.
    pub(super) fn value(&self, minor: u128) -> Value {
        let amount = minor as f64 / 10f64.powi(self.decimals as i32);
        json!({ "amount": amount, "currency": self.currency })
    }
}

impl Default for Money {
    fn default() -> Self {
        Self {
            currency: "XXX".into(),
            decimals: 2,
        }
    }
}
