//! What the fuzz harnesses share (`ledger/tests/fuzz_*.rs`, and
//! `verifier/tests/fuzz_*.rs`, which include this file by path): the run
//! configuration, the corpus of real encodings, the mutation strategy and
//! the two invariants every parser of untrusted bytes is held to.
//!
//! * **No panic**: a parser answers `Ok` or `Err` for any input. A panic
//!   inside a property fails it, and proptest shrinks the input.
//! * **Canonical**: whenever `decode(b)` succeeds, `encode(decode(b)) == b`,
//!   and `decode(encode(x)) == x` for the decoded `x`. So two different
//!   byte strings never denote the same value.
//!
//! Each parser is a [`Target`]: a name, a check (decode, and if that
//! succeeds re-encode and compare) and seeds, real encodings from the golden
//! bundles, the shared vectors or values built by the test. [`fuzz`] runs
//! every target twice: on arbitrary bytes, and on seeds mutated by
//! [`mutated`] (bit flips, interesting bytes and lengths, inserted, deleted,
//! duplicated and spliced runs), which reach far deeper than random bytes.
//!
//! The number of cases per property is `ZKAUDIT_FUZZ_CASES` (default: the
//! value each harness sets, chosen to keep the fuzz suite within about a
//! minute in `cargo test --release`); the costlier properties, which verify
//! whole bundles, run a fixed fraction of it. Failures are persisted by proptest
//! next to the harness, in `<harness>.proptest-regressions`, and replayed
//! first on every later run.

#![allow(dead_code)] // each harness uses part of this module

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestError, TestRunner};

/// The outcome of one check: whether the parser accepted the input.
pub type Checked = Result<bool, TestCaseError>;

/// Parses bytes and checks the invariants on what it accepts.
pub type Check = Box<dyn Fn(&[u8]) -> Checked>;

/// One parser of untrusted bytes under test.
pub struct Target {
    /// What is parsed, e.g. `"identity/claim"`.
    pub name: String,
    /// Parses `bytes` and checks the invariants on what it accepts.
    pub check: Check,
    /// Real encodings to mutate; each must be accepted.
    pub seeds: Vec<Vec<u8>>,
    /// Whether the seeds are JSON documents, also mutated value by value
    /// ([`json_mutated`]).
    pub json: bool,
}

impl Target {
    /// A target from a check and its seeds.
    pub fn new(
        name: impl Into<String>,
        seeds: Vec<Vec<u8>>,
        check: impl Fn(&[u8]) -> Checked + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            check: Box::new(check),
            seeds,
            json: false,
        }
    }

    /// A target for a JSON document: `check` gets UTF-8 text only.
    pub fn json(
        name: impl Into<String>,
        seeds: Vec<String>,
        check: impl Fn(&str) -> Checked + 'static,
    ) -> Self {
        let seeds = seeds.into_iter().map(String::into_bytes).collect();
        let target = Self::new(name, seeds, move |bytes| match std::str::from_utf8(bytes) {
            Ok(text) => check(text),
            Err(_) => Ok(false),
        });
        Self {
            json: true,
            ..target
        }
    }

    /// A target for a binary codec: `decode` then `encode` is the identity.
    pub fn codec<T: PartialEq + Debug, E>(
        name: impl Into<String>,
        seeds: Vec<Vec<u8>>,
        decode: impl Fn(&[u8]) -> Result<T, E> + 'static,
        encode: impl Fn(&T) -> Vec<u8> + 'static,
    ) -> Self {
        Self::new(name, seeds, move |bytes| canonical(bytes, &decode, &encode))
    }

    /// A target for a text format, fed only UTF-8 (other bytes are refused
    /// before it is reached); `parse` then `print` is the identity.
    pub fn text<T: PartialEq + Debug, E>(
        name: impl Into<String>,
        seeds: Vec<String>,
        parse: impl Fn(&str) -> Result<T, E> + 'static,
        print: impl Fn(&T) -> String + 'static,
    ) -> Self {
        let seeds = seeds.into_iter().map(String::into_bytes).collect();
        Self::new(name, seeds, move |bytes| match std::str::from_utf8(bytes) {
            Ok(text) => canonical(
                text.as_bytes(),
                |b| parse(std::str::from_utf8(b).expect("printed text is UTF-8")),
                |x| print(x).into_bytes(),
            ),
            Err(_) => Ok(false),
        })
    }
}

/// Decodes `bytes`; if that succeeds, checks that the value re-encodes to
/// exactly `bytes` and that the re-encoding decodes to the same value.
pub fn canonical<T: PartialEq + Debug, E>(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, E>,
    encode: impl Fn(&T) -> Vec<u8>,
) -> Checked {
    let Ok(value) = decode(bytes) else {
        return Ok(false);
    };
    let encoded = encode(&value);
    prop_assert_eq!(
        &encoded,
        &bytes,
        "accepted a non-canonical encoding of {:?}",
        value
    );
    match decode(&encoded) {
        Ok(again) => prop_assert_eq!(again, value, "decode(encode(x)) != x"),
        Err(_) => prop_assert!(false, "the encoding of {value:?} does not decode"),
    }
    Ok(true)
}

/// Cases per property: `ZKAUDIT_FUZZ_CASES`, else `default`.
pub fn cases(default: u32) -> u32 {
    match std::env::var("ZKAUDIT_FUZZ_CASES") {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("ZKAUDIT_FUZZ_CASES={value:?} is not a number")),
        Err(_) => default,
    }
}

/// The proptest configuration of every fuzz property: `cases` cases, and
/// failures persisted in `<harness>.proptest-regressions`.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// Runs `test` on `cases` values of `strategy`, persisting failures for
/// `source` (the harness file); panics with the shrunk input on failure.
pub fn run<S: Strategy>(
    source: &'static str,
    what: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: Debug,
{
    let mut runner = TestRunner::new(Config {
        source_file: Some(source),
        ..config(cases)
    });
    match runner.run(&strategy, test) {
        Ok(()) => {}
        Err(TestError::Fail(reason, input)) => {
            panic!("{what}: {reason}\nminimal failing input: {input:?}")
        }
        Err(TestError::Abort(reason)) => panic!("{what}: aborted: {reason}"),
    }
}

/// Fuzzes every target with `cases` cases per property: its seeds are
/// accepted and canonical, and neither arbitrary bytes (up to `max_len`)
/// nor mutated seeds break the invariants.
pub fn fuzz(source: &'static str, targets: Vec<Target>, cases: u32, max_len: usize) {
    for target in targets {
        for seed in &target.seeds {
            match (target.check)(seed) {
                Ok(true) => {}
                Ok(false) => panic!("{}: a seed is refused: {}", target.name, hex(seed)),
                Err(e) => panic!("{}: a seed breaks the invariants: {e}", target.name),
            }
        }
        let accepted = AtomicU64::new(0);
        let check = |bytes: Vec<u8>| {
            let ok = (target.check)(&bytes)?;
            accepted.fetch_add(u64::from(ok), Ordering::Relaxed);
            Ok(())
        };
        let arbitrary = arbitrary(max_len);
        run(
            source,
            &format!("{} (arbitrary bytes)", target.name),
            cases,
            arbitrary,
            check,
        );
        let from_random = accepted.swap(0, Ordering::Relaxed);
        if target.json {
            let what = format!("{} (mutated JSON values)", target.name);
            let seeds = target.seeds.clone();
            let strategy = prop_oneof![mutated(seeds.clone()), json_mutated(seeds)];
            run(source, &what, cases, strategy, check);
        } else if !target.seeds.is_empty() {
            let what = format!("{} (mutated seeds)", target.name);
            run(source, &what, cases, mutated(target.seeds.clone()), check);
        }
        // Shown with `--nocapture`: how much of each run got past the parser.
        println!(
            "{}: {} seeds; accepted {from_random} of {cases} arbitrary, {} of {cases} mutated",
            target.name,
            target.seeds.len(),
            accepted.load(Ordering::Relaxed),
        );
    }
}

/// Arbitrary bytes, or (for the text formats) arbitrary printable text with
/// newlines and the signed-note em dash, up to `max_len` long.
pub fn arbitrary(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    let text =
        proptest::string::string_regex(&format!("[ -~\n—]{{0,{max_len}}}")).expect("a valid regex");
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..max_len),
        text.prop_map(String::into_bytes),
    ]
}

/// One edit of a byte string; positions are taken modulo its length.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Flips one bit.
    Flip(Index, u8),
    /// Overwrites one byte with an interesting value.
    Set(Index, u8),
    /// Overwrites four bytes with an interesting big-endian `u32` (lengths
    /// and counts are big-endian here, little-endian in a few proofs: both
    /// byte orders of each value are in [`interesting_u32`]).
    SetU32(Index, u32),
    /// Inserts bytes.
    Insert(Index, Vec<u8>),
    /// Deletes up to `n` bytes.
    Delete(Index, usize),
    /// Repeats a run of up to `n` bytes in place.
    Duplicate(Index, usize),
    /// Cuts the string short.
    Truncate(Index),
    /// Replaces a run with a run of another seed.
    Splice(Index, Index, Index, usize),
}

fn interesting_u8() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0u8),
        Just(1),
        Just(2),
        Just(0x7f),
        Just(0x80),
        Just(0xff),
        Just(b'\n'),
        Just(b' '),
        Just(b'+'),
        Just(b'='),
        any::<u8>(),
    ]
}

/// `u32` values near the bounds parsers check, in both byte orders.
pub fn interesting_u32() -> impl Strategy<Value = u32> {
    let value = prop_oneof![
        Just(0u32),
        Just(1),
        Just(2),
        Just(31),
        Just(32),
        Just(64),
        Just(255),
        Just(256),
        Just(1024),
        Just(0xffff),
        Just(0x1_0000),
        Just(60_000),
        Just(1 << 20),
        Just(i32::MAX as u32),
        Just(u32::MAX),
        any::<u32>(),
    ];
    (value, any::<bool>()).prop_map(|(v, swap)| if swap { v.swap_bytes() } else { v })
}

/// One [`Mutation`], the common ones more often.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        2 => (any::<Index>(), interesting_u8()).prop_map(|(at, v)| Mutation::Set(at, v)),
        2 => (any::<Index>(), interesting_u32()).prop_map(|(at, v)| Mutation::SetU32(at, v)),
        1 => (any::<Index>(), proptest::collection::vec(interesting_u8(), 1..8))
            .prop_map(|(at, v)| Mutation::Insert(at, v)),
        1 => (any::<Index>(), 1usize..40).prop_map(|(at, n)| Mutation::Delete(at, n)),
        1 => (any::<Index>(), 1usize..70).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<Index>(), any::<Index>(), 1usize..70)
            .prop_map(|(seed, from, at, n)| Mutation::Splice(seed, from, at, n)),
    ]
}

impl Mutation {
    /// Applies the edit to `bytes`; `seeds` feed [`Mutation::Splice`].
    pub fn apply(&self, bytes: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
        let len = bytes.len();
        match self {
            Mutation::Flip(i, bit) if len > 0 => bytes[at(i, len)] ^= 1 << bit,
            Mutation::Set(i, v) if len > 0 => bytes[at(i, len)] = *v,
            Mutation::SetU32(i, v) if len >= 4 => {
                let start = at(i, len - 3);
                bytes[start..start + 4].copy_from_slice(&v.to_be_bytes());
            }
            Mutation::Insert(i, v) => {
                let start = at(i, len + 1);
                bytes.splice(start..start, v.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let start = at(i, len);
                bytes.drain(start..(start + n).min(len));
            }
            Mutation::Duplicate(i, n) if len > 0 => {
                let start = at(i, len);
                let run = bytes[start..(start + n).min(len)].to_vec();
                bytes.splice(start..start, run);
            }
            Mutation::Truncate(i) => bytes.truncate(at(i, len + 1)),
            Mutation::Splice(seed, from, i, n) if !seeds.is_empty() => {
                let other = &seeds[seed.index(seeds.len())];
                let from = at(from, other.len());
                let run = &other[from..(from + n).min(other.len())];
                let start = at(i, len + 1);
                let end = (start + run.len()).min(len);
                bytes.splice(start..end, run.iter().copied());
            }
            _ => {}
        }
    }
}

/// A seed with one to eight [`Mutation`]s applied.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let seeds = Arc::new(seeds);
    (any::<Index>(), proptest::collection::vec(mutation(), 1..8)).prop_map(move |(pick, edits)| {
        let mut bytes = seeds[pick.index(seeds.len())].clone();
        for edit in &edits {
            edit.apply(&mut bytes, &seeds);
        }
        bytes
    })
}

/// A JSON seed with one to four of its values edited: a string's bytes
/// mutated (hex, base64, decimal and note text live in strings), a number
/// replaced by an interesting one, a boolean flipped, an array element
/// removed or repeated. The result is valid JSON, so it reaches the checks
/// behind the JSON parser.
pub fn json_mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let seeds: Arc<Vec<serde_json::Value>> = Arc::new(
        seeds
            .iter()
            .map(|s| serde_json::from_slice(s).expect("JSON seeds"))
            .collect(),
    );
    let edit = (any::<Index>(), mutation(), interesting_u32(), any::<bool>());
    (any::<Index>(), proptest::collection::vec(edit, 1..4)).prop_map(move |(pick, edits)| {
        let mut value = seeds[pick.index(seeds.len())].clone();
        for (at, mutation, number, repeat) in &edits {
            let mut pointers = Vec::new();
            json_pointers(&value, String::new(), &mut pointers);
            let pointer = &pointers[at.index(pointers.len())];
            let slot = value.pointer_mut(pointer).expect("a pointer just listed");
            match slot {
                serde_json::Value::String(s) => {
                    let mut bytes = std::mem::take(s).into_bytes();
                    mutation.apply(&mut bytes, &[]);
                    *s = String::from_utf8_lossy(&bytes).into_owned();
                }
                serde_json::Value::Number(_) => *slot = u64::from(*number).into(),
                serde_json::Value::Bool(b) => *b = !*b,
                serde_json::Value::Array(items) if !items.is_empty() => {
                    let i = at.index(items.len());
                    if *repeat {
                        items.insert(i, items[i].clone());
                    } else {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        serde_json::to_vec(&value).expect("JSON values serialise")
    })
}

/// The JSON pointers of every value in a document (children before parents).
fn json_pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                json_pointers(v, format!("{at}/{key}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                json_pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Lowercase hex, for messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The directory of the golden bundles (`verifier/tests/golden`).
pub fn golden_dir() -> String {
    format!("{}/../verifier/tests/golden", env!("CARGO_MANIFEST_DIR"))
}

/// The golden bundles, as text: `(file name, JSON)`.
pub fn golden_bundles() -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(golden_dir())
        .expect("the golden fixtures")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                std::fs::read_to_string(&path).expect("a readable fixture"),
            )
        })
        .collect()
}

/// Every string value under a key named `key` in a JSON document.
pub fn json_strings(value: &serde_json::Value, key: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) if k == key => out.push(s.clone()),
                    _ => json_strings(v, key, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, key, out)),
        _ => {}
    }
}

/// The distinct log records (leaves) in the golden bundles, in order of
/// first appearance.
pub fn golden_records() -> Vec<Vec<u8>> {
    let mut records: Vec<Vec<u8>> = Vec::new();
    for (_, text) in golden_bundles() {
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let mut found = Vec::new();
        json_strings(&value, "record", &mut found);
        for record in found {
            let bytes = BASE64.decode(record).expect("base64 records");
            if !records.contains(&bytes) {
                records.push(bytes);
            }
        }
    }
    records
}

/// The distinct signed checkpoints in the golden bundles.
pub fn golden_checkpoints() -> Vec<String> {
    let mut notes = Vec::new();
    for (_, text) in golden_bundles() {
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        json_strings(&value, "checkpoint", &mut notes);
    }
    notes.sort();
    notes.dedup();
    notes
}
