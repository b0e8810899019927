//! How the vaccine chain's lots and parties are named in EPCIS, both ways.

use percent_encoding::percent_decode_str;

use crate::export::uri_part;

/// The prefix of a party named by its Ed25519 key.
const PARTY_PREFIX: &str = "urn:zkaudit:party:ed25519:";

/// A lot as a class of objects: a GS1 Digital Link for a GTIN product
/// code, else a zkaudit URN.
pub fn lot_class(product: &str, lot: &str) -> String {
    let is_gtin =
        matches!(product.len(), 8 | 12 | 13 | 14) && product.bytes().all(|b| b.is_ascii_digit());
    if is_gtin {
        format!("https://id.gs1.org/01/{product:0>14}/10/{}", uri_part(lot))
    } else {
        format!("urn:zkaudit:lot:{}:{}", uri_part(product), uri_part(lot))
    }
}

/// A party named by its Ed25519 key.
pub fn party(key: &[u8; 32]) -> String {
    format!("urn:zkaudit:party:ed25519:{}", hex::encode(key))
}

/// The key of a party [`party`] names, if `uri` is such a name.
pub fn parse_party(uri: &str) -> Option<[u8; 32]> {
    let mut key = [0u8; 32];
    hex::decode_to_slice(uri.strip_prefix(PARTY_PREFIX)?, &mut key).ok()?;
    Some(key)
}

/// `(product, lot)` of a class [`lot_class`] names: a GS1 Digital Link
/// `https://id.gs1.org/01/{GTIN}/10/{lot}` or `urn:zkaudit:lot:{product}:{lot}`.
pub fn parse_lot_class(class: &str) -> Option<(String, String)> {
    let decode = |s: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(|c| c.into_owned())
    };
    if let Some(rest) = class.strip_prefix("https://id.gs1.org/01/") {
        let (gtin, lot) = rest.split_once("/10/")?;
        // The GTIN as the link writes it (14 digits): it names the same
        // product, and exports to the same link.
        if gtin.len() != 14 || !gtin.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some((gtin.to_owned(), decode(lot.split(['/', '?']).next()?)?));
    }
    let rest = class.strip_prefix("urn:zkaudit:lot:")?;
    let (product, lot) = rest.split_once(':')?;
    Some((decode(product)?, decode(lot)?))
}
