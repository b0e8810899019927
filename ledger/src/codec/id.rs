//! Ids that name registries, scopes and elections in payloads and URLs.

/// Longest id, in bytes.
pub(crate) const MAX_ID: usize = 64;

/// Registry, scope and election ids: 1 to 64 bytes of `[a-z0-9-]`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_lowercase_words() {
        assert!(is_valid_id("national-id-2027"));
        assert!(is_valid_id(&"a".repeat(MAX_ID)));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(MAX_ID + 1)));
        assert!(!is_valid_id("National"));
        assert!(!is_valid_id("a_b"));
    }
}
