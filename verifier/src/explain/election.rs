//! An election bundle's report, and where a voter's ballot stands in it.

use zkaudit_ledger::election::Phase;

use super::{Level, Line, key_origin, records_line};
use crate::election::{ElectionBundle, ElectionReport, ReceiptStanding};

/// A verified election bundle: the replay, the ballots, the seal, the
/// tally per contest and where the ballot key comes from.
pub fn election(bundle: &ElectionBundle, report: &ElectionReport) -> Vec<Line> {
    let mut lines = vec![
        records_line(bundle.evidence.entries.len(), report.checkpoint_size),
        Line::ok(format!(
            "election {:?} ({}) run by {}, replayed through the election rules: phase {}",
            report.election, report.title, report.commission, report.phase
        )),
        Line::ok(format!(
            "key ceremony qualified dealers {:?}",
            report.qualified
        )),
        ballots_line(report),
    ];
    if report.revoting {
        lines.push(Line::ok(format!(
            "re-voting allowed: {} count (each voter's last ballot), {} superseded",
            report.ballots,
            report.cast - report.ballots
        )));
    }
    if report.spoiled > 0 {
        lines.push(Line::ok(format!(
            "{} challenged ballots published by voters (spoiled, never counted), each opening checked against the election key",
            report.spoiled
        )));
    }
    match &report.seal {
        Some(seal) => lines.push(Line::ok(format!(
            "the log's seal at the close commits to exactly these {} ballots (root {})",
            seal.cast,
            hex::encode(seal.ballots_root)
        ))),
        None if report.phase >= Phase::Closed => lines.push(Line::note(
            "the election closed without a seal (logged before seals existed): completeness rests on a mirror (--mirror)",
        )),
        None => {}
    }
    if report.skipped > 0 {
        lines.push(Line::detail(format!(
            "    {} logged election records skipped by the rules (e.g. ballots after the close)",
            report.skipped
        )));
    }
    if report.results.iter().any(|(_, c)| c.is_some()) {
        let rejected = if report.trustees_rejected.is_empty() {
            String::new()
        } else {
            format!(
                "; partial decryptions REJECTED from trustees {:?}",
                report.trustees_rejected
            )
        };
        lines.push(Line::ok(format!(
            "tally decrypted by trustees {:?} (Chaum-Pedersen proofs verified){rejected}",
            report.trustees_used
        )));
        lines.push(Line::detail("results:"));
    } else {
        lines.push(Line::detail("not tallied yet; options:"));
    }
    for (contest, results) in report.results_by_contest() {
        if !contest.title.is_empty() {
            lines.push(Line::detail(format!(
                "  {} ({})",
                contest.title,
                contest_rule(contest.min, contest.max, contest.limit)
            )));
        }
        for (option, count) in results {
            lines.push(Line::detail(match count {
                Some(c) => format!("    {option:<24} {c}"),
                None => format!("    {option}"),
            }));
        }
    }
    if report.vk_digest.is_some() {
        lines.push(key_origin(
            "ballot verifying key",
            report.development_key,
            report.key_ceremony.as_ref(),
        ));
    }
    lines
}

/// Where a voter's ballot stands in a verified election: counted,
/// superseded, skipped, logged outside the bundle's period — or, at level
/// [`Level::Failed`], omitted from the record or forked (the receipt and
/// the bundle are then signed evidence; `keep` says which files to keep).
pub fn standing(report: &ElectionReport, standing: &ReceiptStanding, keep: &str) -> Line {
    match *standing {
        ReceiptStanding::Counts { index } => Line::ok(format!(
            "your ballot (entry {index}) is the one that counts in election {:?}{}",
            report.election,
            if report.seal.is_some() {
                ", and the log's seal at the close includes it"
            } else {
                ""
            }
        )),
        ReceiptStanding::Superseded { index, by } => Line::ok(format!(
            "your ballot (entry {index}) is in the record but SUPERSEDED: a later ballot with your nullifier (entry {by}) counts instead — if you did not vote again, someone else holds your credential"
        )),
        ReceiptStanding::Skipped { index } => Line::note(format!(
            "your ballot (entry {index}) is in the record, but the election's rules do not count it (a second ballot where re-voting is not allowed)"
        )),
        ReceiptStanding::Outside { index } => Line::note(format!(
            "your ballot (entry {index}) was logged outside the bundle's voting period (after the close, or after the bundle's checkpoint of size {}): fetch a newer bundle",
            report.checkpoint_size
        )),
        ReceiptStanding::Omitted { index } => Line::new(
            Level::Failed,
            format!(
                "OMISSION: the log acknowledged your ballot at entry {index} while election {:?} was open, but its record (sealed {}) leaves it out; keep {keep} as signed evidence",
                report.election,
                report
                    .seal
                    .as_ref()
                    .map(|s| format!("{} cast ballots", s.cast))
                    .unwrap_or_else(|| "not yet".into()),
            ),
        ),
        ReceiptStanding::Forked { index } => Line::new(
            Level::Failed,
            format!(
                "FORK: the bundle proves another record at entry {index} than your receipt, both signed by the log; keep {keep} as signed evidence"
            ),
        ),
    }
}

/// A contest's rule in words: "mark 1", "mark 0 to 2", "0 to 5 points, at
/// most 3 per option".
pub fn contest_rule(min: u8, max: u8, limit: u8) -> String {
    let range = if min == max {
        format!("{max}")
    } else {
        format!("{min} to {max}")
    };
    if limit == 1 {
        format!("mark {range}")
    } else {
        format!("{range} points, at most {limit} per option")
    }
}

/// The ballots and their proofs: all verified, or (one part of a check
/// split over several workers) which of them this part verified.
pub fn ballots_line(report: &ElectionReport) -> Line {
    let Some(vk_digest) = &report.vk_digest else {
        return Line::ok(
            "0 ballots cast: the ballot circuit is made for the election's joint key, \
             which is not logged yet"
                .to_owned(),
        );
    };
    let share = report.proof_share;
    if share.is_all() {
        return Line::ok(format!(
            "{} ballots cast, every proof verified against the logged key {vk_digest}",
            report.cast
        ));
    }
    let mine = share.range(report.cast);
    if mine.is_empty() {
        return Line::ok(format!(
            "{} ballots cast; part {} of {} of this check verified none of their proofs (the other parts verify them)",
            report.cast,
            share.part() + 1,
            share.parts()
        ));
    }
    let which = if mine.len() == 1 {
        format!("ballot {}", mine.end)
    } else {
        format!("ballots {} to {}", mine.start + 1, mine.end)
    };
    Line::ok(format!(
        "{} ballots cast; part {} of {} of this check verified the proofs of {which} against the logged key {vk_digest}",
        report.cast,
        share.part() + 1,
        share.parts(),
    ))
}
