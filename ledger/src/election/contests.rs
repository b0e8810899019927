//! An election's contests: which ballot statement its ballots prove, and
//! each contest's options and rule.

use zkaudit_circuits::ballot::ContestRule;

/// Which ballot statement an election's ballots prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallotStatement {
    /// Statement v1: one contest of 2 to 8 options, each marked 0 or 1
    /// (shape `ballot-d…-a…-o…`). Every election logged before contests
    /// existed is one.
    Choices,
    /// Statement v2: 1 to 4 contests, each option getting up to its
    /// contest's limit of points (shape `ballot-d…-a…-c…`).
    Contests,
    /// Statement v3: contests as in v2, with the election's joint key a
    /// constant of the ballot circuit (shape `ballot-d…-a…-c…-k…`). A
    /// ballot proves in about half v2's time; the price is a proving key
    /// per election, made once the key ceremony has given the joint key
    /// (when voting opens), so the spec cannot name it in advance.
    KeyedContests,
}

impl BallotStatement {
    /// Whether the ballots are of contests (v2 or v3), not of choices.
    pub fn has_contests(self) -> bool {
        !matches!(self, Self::Choices)
    }

    /// Whether the ballot circuit is made for the election's key (v3).
    pub fn is_keyed(self) -> bool {
        matches!(self, Self::KeyedContests)
    }
}

/// One contest of an election (a mayor, a council, a referendum question):
/// its options and rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contest {
    /// What is decided (empty in a v1 election: the election's title says).
    pub title: String,
    /// Option labels.
    pub options: Vec<String>,
    /// Fewest points a ballot must give in this contest (0: it may be left
    /// blank).
    pub min: u8,
    /// Most points a ballot may give in this contest.
    pub max: u8,
    /// Most points per option: 1 for plurality and approval voting, up to
    /// 15 for cumulative voting.
    pub limit: u8,
}

impl Contest {
    /// The one contest of a v1 election: `options` marked 0 or 1, `min` to
    /// `max` of them.
    pub fn choices(options: Vec<String>, min: u8, max: u8) -> Self {
        Self {
            title: String::new(),
            options,
            min,
            max,
            limit: 1,
        }
    }

    /// The rule the ballot circuit enforces.
    pub fn rule(&self) -> ContestRule {
        ContestRule {
            min: self.min.into(),
            max: self.max.into(),
            limit: self.limit.into(),
        }
    }

    /// Its name for messages: the title, or its position.
    pub(super) fn name(&self, index: usize) -> String {
        if self.title.is_empty() {
            format!("contest {index}")
        } else {
            format!("contest {:?}", self.title)
        }
    }
}
