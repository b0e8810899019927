//! The published election record specification (`docs/election-record.md`)
//! keeps up with the code: every election record kind the ledger knows, and
//! every field of every record and payload struct it encodes, appears in
//! the document (in backticks, as the document writes code names). The
//! names are read from the source itself, so a field added to a record
//! fails this test until the document describes it.

use std::path::{Path, PathBuf};

/// The files that define what an election bundle's records hold.
const RECORD_SOURCES: [&str; 5] = [
    "src/election/spec.rs",
    "src/election/records.rs",
    "src/election/ballot.rs",
    "src/election/contests.rs",
    "src/election/spoiled.rs",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(struct, field)` for every `pub field:` of every `pub struct` in `source`.
fn struct_fields(source: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("pub struct ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            current = rest.trim_end().ends_with('{').then_some(name);
            continue;
        }
        if line == "}" {
            current = None;
            continue;
        }
        if let (Some(owner), Some(rest)) = (&current, line.strip_prefix("pub "))
            && let Some((field, _)) = rest.split_once(':')
            && field.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            fields.push((owner.clone(), field.to_owned()));
        }
    }
    fields
}

/// Every `pub const NAME: &str = "kind";` in `source`: the record kinds.
fn kinds(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub const "))
        .filter(|rest| rest.contains(": &str = \""))
        .filter_map(|rest| rest.split('"').nth(1).map(str::to_owned))
        .collect()
}

#[test]
fn every_record_kind_and_field_is_in_the_specification() {
    let doc = read(&root().join("../docs/election-record.md"));
    let mentioned = |name: &str| doc.contains(&format!("`{name}`"));

    let kinds = kinds(&read(&root().join("src/election/mod.rs")));
    assert!(
        kinds.contains(&"ballot".to_owned()) && kinds.len() >= 10,
        "the kinds were not read: {kinds:?}"
    );
    let mut missing: Vec<String> = kinds
        .iter()
        .filter(|kind| **kind != "election" && !mentioned(kind))
        .map(|kind| format!("record kind {kind}"))
        .collect();

    let mut count = 0;
    for file in RECORD_SOURCES {
        let fields = struct_fields(&read(&root().join(file)));
        assert!(!fields.is_empty(), "no struct fields read from {file}");
        count += fields.len();
        for (owner, field) in fields {
            if !mentioned(&owner) {
                missing.push(format!("struct {owner} ({file})"));
            }
            if !mentioned(&field) {
                missing.push(format!("field {owner}.{field} ({file})"));
            }
        }
    }
    assert!(count >= 30, "only {count} record fields were read");
    missing.dedup();
    assert!(
        missing.is_empty(),
        "docs/election-record.md does not describe:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn the_reader_finds_fields_and_kinds() {
    // The test above is only as good as its reading of the source.
    let source = "pub struct A {\n    /// doc\n    pub x_y: u8,\n    pub(crate) hidden: u8,\n}\npub struct B;\npub const K: &str = \"k.k\";\n";
    assert_eq!(struct_fields(source), vec![("A".into(), "x_y".into())]);
    assert_eq!(kinds(source), vec!["k.k".to_owned()]);
}
