//! What a voter marks, from `zkaudit vote --choose` values, and what an
//! election's contests are, from `zkaudit election create --contest`
//! values: the two small text syntaxes of ballots.
//!
//! A choice is `[CONTEST:]OPTION[=POINTS]`: the contest by title or 0-based
//! position (optional when the option's label is unique on the ballot),
//! the option by label or 0-based position (in its contest, or on the
//! whole ballot when no contest is named), and the points (1 unless given;
//! more only in a cumulative contest). A contest is `TITLE: OPTION, OPTION,
//! …` followed by `; min=N`, `; max=N` and `; limit=N` (defaults 0, 1, 1).

use anyhow::{Context, Result, bail, ensure};
use zkaudit_ledger::election::{Contest, ElectionSpec};
use zkaudit_verifier::explain::contest_rule;

/// The value vector (one per option, in ballot order) that the `--choose`
/// values mark; options not named get 0. The contests' rules are checked
/// later, with everything else the proof shows.
///
/// # Errors
///
/// A value naming no contest or option, an ambiguous label, an option
/// named twice, or points that are not a number.
pub fn parse_choices(spec: &ElectionSpec, choose: &[String]) -> Result<Vec<u64>> {
    let mut values = vec![0u64; spec.option_count()];
    let mut named = vec![false; values.len()];
    for choice in choose {
        let (target, points) = match choice.rsplit_once('=') {
            Some((target, points)) => {
                let points = points
                    .trim()
                    .parse::<u64>()
                    .with_context(|| format!("{choice:?}: points must be a whole number"))?;
                (target, points)
            }
            None => (choice.as_str(), 1),
        };
        let option = find_option(spec, target.trim())
            .with_context(|| format!("{choice:?} does not name an option of the election"))?;
        ensure!(!named[option], "{choice:?} names an option already chosen");
        named[option] = true;
        values[option] = points;
    }
    check_rules(spec, &values)?;
    Ok(values)
}

/// Checks `values` against each contest's rule, naming the contest and
/// the rule in words (the circuit would refuse the ballot anyway; this
/// says why before any proving).
fn check_rules(spec: &ElectionSpec, values: &[u64]) -> Result<()> {
    for (contest, range) in spec.contests.iter().zip(spec.contest_ranges()) {
        let name = if contest.title.is_empty() {
            "the ballot".to_owned()
        } else {
            format!("contest {:?}", contest.title)
        };
        let rule = contest_rule(contest.min, contest.max, contest.limit);
        let values = &values[range];
        if let Some(i) = values.iter().position(|&v| v > u64::from(contest.limit)) {
            bail!(
                "{name}: {} points for {:?}; the rule is: {rule}",
                values[i],
                contest.options[i]
            );
        }
        let total: u64 = values.iter().sum();
        ensure!(
            (u64::from(contest.min)..=u64::from(contest.max)).contains(&total),
            "{name}: {total} marked; the rule is: {rule}"
        );
    }
    Ok(())
}

/// The ballot position of the option `target` names.
fn find_option(spec: &ElectionSpec, target: &str) -> Result<usize> {
    let ranges = spec.contest_ranges();
    if let Some((contest, option)) = target.split_once(':') {
        let (contest, option) = (contest.trim(), option.trim());
        let index = spec
            .contests
            .iter()
            .position(|c| c.title == contest)
            .or_else(|| contest.parse::<usize>().ok())
            .filter(|&i| i < spec.contests.len())
            .with_context(|| {
                let titles: Vec<&str> = spec.contests.iter().map(|c| c.title.as_str()).collect();
                format!("no contest {contest:?} (contests: {titles:?})")
            })?;
        let within = position_in(&spec.contests[index].options, option).with_context(|| {
            format!(
                "no option {option:?} in contest {contest:?} (options: {:?})",
                spec.contests[index].options
            )
        })?;
        return Ok(ranges[index].start + within);
    }
    let labels = spec.option_labels();
    let matches: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == target).collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => target
            .parse::<usize>()
            .ok()
            .filter(|&i| i < labels.len())
            .with_context(|| format!("options: {labels:?}")),
        _ => {
            bail!("{target:?} is an option of several contests: name the contest (CONTEST:OPTION)")
        }
    }
}

/// The position of `option` (a label or a 0-based position) in `options`.
fn position_in(options: &[String], option: &str) -> Option<usize> {
    options
        .iter()
        .position(|o| o == option)
        .or_else(|| option.parse::<usize>().ok().filter(|&i| i < options.len()))
}

/// The contest a `--contest` value describes: `TITLE: OPTION, OPTION, …`
/// then optional `; min=N`, `; max=N`, `; limit=N` (defaults 0, 1, 1).
///
/// # Errors
///
/// A value without a title or options, an unknown or repeated setting, or
/// a setting that is not a number from 0 to 255. (The rule itself is
/// checked with the rest of the election.)
pub fn parse_contest(text: &str) -> Result<Contest> {
    let mut parts = text.split(';');
    let head = parts.next().unwrap_or_default();
    let (title, options) = head
        .split_once(':')
        .with_context(|| format!("{text:?}: a contest is `TITLE: OPTION, OPTION, …`"))?;
    let options: Vec<String> = options
        .split(',')
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    ensure!(!options.is_empty(), "{text:?}: a contest needs options");
    let mut contest = Contest {
        title: title.trim().to_owned(),
        options,
        min: 0,
        max: 1,
        limit: 1,
    };
    let mut seen = Vec::new();
    for setting in parts {
        let (name, value) = setting
            .split_once('=')
            .with_context(|| format!("{setting:?}: a setting is `min=N`, `max=N` or `limit=N`"))?;
        let name = name.trim();
        ensure!(
            !seen.contains(&name.to_owned()),
            "{name} is set twice in {text:?}"
        );
        seen.push(name.to_owned());
        let value: u8 = value
            .trim()
            .parse()
            .with_context(|| format!("{setting:?}: {name} must be a number from 0 to 255"))?;
        match name {
            "min" => contest.min = value,
            "max" => contest.max = value,
            "limit" => contest.limit = value,
            other => bail!("{other:?} is not a contest setting (min, max, limit)"),
        }
    }
    Ok(contest)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use zkaudit_circuits::elgamal::{Scalar, public_key};
    use zkaudit_ledger::election::{BallotStatement, TrusteeSpec};

    use super::*;

    fn spec() -> ElectionSpec {
        let trustee = TrusteeSpec {
            name: "t".into(),
            signing_key: SigningKey::from_bytes(&[1; 32]).verifying_key(),
            encryption_key: public_key(&Scalar::from(5u64)),
        };
        ElectionSpec {
            id: "city-2027".into(),
            title: "City".into(),
            statement: BallotStatement::Contests,
            contests: vec![
                parse_contest("Mayor: Ada, Ben, Cy; min=1").unwrap(),
                parse_contest("Council: Ada, Dee, Eve, Fay; max=2").unwrap(),
                parse_contest("Budget: parks, roads; max=5; limit=3").unwrap(),
            ],
            registry: "voters".into(),
            predicates: Vec::new(),
            trustees: vec![trustee],
            threshold: 1,
            opens_at_ms: 1,
            closes_at_ms: 2,
            circuit_key: None,
            revoting: true,
        }
    }

    #[test]
    fn contests_parse_with_their_settings() {
        let spec = spec();
        assert_eq!(spec.contests[0].title, "Mayor");
        assert_eq!(spec.contests[0].options, ["Ada", "Ben", "Cy"]);
        assert_eq!(
            (
                spec.contests[0].min,
                spec.contests[0].max,
                spec.contests[0].limit
            ),
            (1, 1, 1)
        );
        assert_eq!(
            (
                spec.contests[2].min,
                spec.contests[2].max,
                spec.contests[2].limit
            ),
            (0, 5, 3)
        );
        spec.validate().unwrap();
        for bad in [
            "no options",
            "Mayor:",
            "Mayor: A, B; max",
            "Mayor: A, B; max=x",
            "Mayor: A, B; max=300",
            "Mayor: A, B; points=2",
            "Mayor: A, B; max=1; max=2",
        ] {
            assert!(parse_contest(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn choices_name_options_by_contest_label_or_position() {
        let spec = spec();
        let choose = |values: &[&str]| {
            let values: Vec<String> = values.iter().map(|&v| v.to_owned()).collect();
            parse_choices(&spec, &values)
        };
        assert_eq!(
            choose(&["Mayor:Ben", "Council:Ada", "Eve", "parks=3", "Budget:1=2"]).unwrap(),
            [0, 1, 0, 1, 0, 1, 0, 3, 2]
        );
        assert_eq!(
            choose(&["0:2", "1:3", "8=1"]).unwrap(),
            [0, 0, 1, 0, 0, 0, 1, 0, 1]
        );
        assert_eq!(choose(&["Cy"]).unwrap(), [0, 0, 1, 0, 0, 0, 0, 0, 0]);
        // Ada runs in two contests; a position past the ballot; a contest
        // that does not exist; an option twice; points that are no number.
        for bad in [
            &["Ada"][..],
            &["9"],
            &["Senate:Ada"],
            &["Mayor:Zed"],
            &["Ben", "Mayor:Ben"],
            &["parks=two"],
        ] {
            assert!(choose(bad).is_err(), "{bad:?}");
        }
        // The rules, in words: no mayor (one is required), two mayors,
        // three councillors, 4 points for parks, 6 points in all.
        for (bad, says) in [
            (
                &["Dee"][..],
                "contest \"Mayor\": 0 marked; the rule is: mark 1",
            ),
            (&["Ben", "Cy"], "contest \"Mayor\": 2 marked"),
            (&["Ben", "Dee", "Eve", "Fay"], "the rule is: mark 0 to 2"),
            (
                &["Ben", "parks=4"],
                "4 points for \"parks\"; the rule is: 0 to 5 points, at most 3 per option",
            ),
            (&["Ben", "parks=3", "roads=3"], "6 marked"),
        ] {
            let error = choose(bad).unwrap_err().to_string();
            assert!(error.contains(says), "{bad:?}: {error}");
        }
    }
}
