//! Tests of zkaudit's statements: native references against external test
//! vectors, gadgets against the native references, tampered witnesses, and
//! pinned constraint counts.

mod babyjubjub;
mod ballot;
mod common;
mod contests;
mod eligibility;
mod identity;
mod keyed;
mod lean_imt;
mod poseidon;
mod predicate;
