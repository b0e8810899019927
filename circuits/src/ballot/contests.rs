//! Contests: the layout of a ballot with several contests (a mayor, a
//! council, a referendum question) and each contest's rule.
//!
//! A ballot of the [`Contests`](super::BallotLayout::Contests) layout holds
//! one value per option, the options of contest 0 first. Each contest has a
//! [`ContestRule`]: every value is at most `limit` points (1 for plurality
//! and approval voting, more for cumulative voting) and the contest's total
//! is in `[min, max]`. The number of contests and the options of each are
//! the circuit's shape ([`ContestSizes`]); the rules are public inputs, so
//! one key serves every election of that shape.
//!
//! # Soundness of the range checks
//!
//! The circuit decomposes every value and `limit − value` into
//! [`POINT_BITS`] bits, and `min`, `max`, `total − min` and `max − total`
//! into [`TOTAL_BITS`] bits. A value that fits in 4 bits is a true integer
//! in `[0, 15]`, so the total of at most 8 of them is at most 120 < 2⁷; a
//! difference of two such small integers that fits in its bits is a true
//! non-negative difference (a "negative" one would be a field element near
//! the modulus). So `value ≤ limit` and `min ≤ total ≤ max` hold as
//! integers whatever the public rule says.

use core::ops::Range;

use crate::{CircuitError, Result};

/// The most contests on one ballot.
pub const MAX_CONTESTS: usize = 4;

/// The most options in one contest.
pub const MAX_CONTEST_OPTIONS: usize = 8;

/// The most options on one ballot, over all its contests.
pub const MAX_BALLOT_OPTIONS: usize = 16;

/// The bits of a value and of `limit − value` in the circuit.
pub const POINT_BITS: usize = 4;

/// The most points a contest may give one option: `2^POINT_BITS − 1`.
pub const MAX_POINTS: u64 = (1 << POINT_BITS) - 1;

/// The bits of a contest's `min`, `max` and its total's distances to them:
/// `MAX_CONTEST_OPTIONS · MAX_POINTS = 120 < 2⁷`.
pub const TOTAL_BITS: usize = 7;

/// The number of options of each contest, in ballot order: part of a
/// circuit's shape.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContestSizes {
    sizes: [u8; MAX_CONTESTS],
    len: u8,
}

impl ContestSizes {
    /// The layout of contests with `sizes[i]` options each.
    ///
    /// # Errors
    ///
    /// [`CircuitError::ContestCount`] for no contest or more than
    /// [`MAX_CONTESTS`], [`CircuitError::ContestOptions`] for a contest of
    /// no option or more than [`MAX_CONTEST_OPTIONS`],
    /// [`CircuitError::BallotOptions`] for more than [`MAX_BALLOT_OPTIONS`]
    /// in all.
    pub fn new(sizes: &[usize]) -> Result<Self> {
        if sizes.is_empty() || sizes.len() > MAX_CONTESTS {
            return Err(CircuitError::ContestCount(sizes.len()));
        }
        let mut layout = Self {
            sizes: [0; MAX_CONTESTS],
            len: sizes.len() as u8,
        };
        for (contest, &options) in sizes.iter().enumerate() {
            if !(1..=MAX_CONTEST_OPTIONS).contains(&options) {
                return Err(CircuitError::ContestOptions { contest, options });
            }
            layout.sizes[contest] = options as u8;
        }
        if layout.options() > MAX_BALLOT_OPTIONS {
            return Err(CircuitError::BallotOptions(layout.options()));
        }
        Ok(layout)
    }

    /// Re-checks a layout (a shape may come from anywhere).
    ///
    /// # Errors
    ///
    /// As [`ContestSizes::new`].
    pub fn validate(&self) -> Result<()> {
        let sizes: Vec<usize> = self.iter().collect();
        Self::new(&sizes).map(|_| ())
    }

    /// The number of contests.
    pub fn len(&self) -> usize {
        usize::from(self.len).min(MAX_CONTESTS)
    }

    /// Always false: a layout has at least one contest.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of options of each contest.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.sizes[..self.len()]
            .iter()
            .map(|&size| usize::from(size))
    }

    /// The number of options over all contests.
    pub fn options(&self) -> usize {
        self.iter().sum()
    }

    /// Each contest's options as positions on the ballot.
    pub fn ranges(&self) -> Vec<Range<usize>> {
        let mut start = 0;
        self.iter()
            .map(|size| {
                start += size;
                start - size..start
            })
            .collect()
    }
}

impl core::fmt::Debug for ContestSizes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A contest's rule: every option gets `0..=limit` points and the
/// contest's total is in `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContestRule {
    /// The fewest points in all (0 allows a blank contest).
    pub min: u64,
    /// The most points in all.
    pub max: u64,
    /// The most points per option: 1 for plurality and approval, up to
    /// [`MAX_POINTS`] for cumulative voting.
    pub limit: u64,
}

impl ContestRule {
    /// A rule of 0/1 choices, `min..=max` of them.
    pub fn choices(min: u64, max: u64) -> Self {
        Self { min, max, limit: 1 }
    }

    /// Checks `1 ≤ limit ≤ MAX_POINTS` and `min ≤ max ≤ limit · options`.
    ///
    /// # Errors
    ///
    /// [`CircuitError::InvalidContestRule`].
    pub fn validate(&self, contest: usize, options: usize) -> Result<()> {
        let fits = (1..=MAX_POINTS).contains(&self.limit)
            && self.min <= self.max
            && self.max <= self.limit * options as u64;
        if fits {
            Ok(())
        } else {
            Err(CircuitError::InvalidContestRule {
                contest,
                min: self.min,
                max: self.max,
                limit: self.limit,
                options,
            })
        }
    }

    /// Checks one contest's values natively, as the circuit does: each at
    /// most `limit`, their total in `[min, max]`. `first_option` is the
    /// position of the contest's first option on the ballot, for the error.
    ///
    /// # Errors
    ///
    /// [`CircuitError::ChoiceOverLimit`],
    /// [`CircuitError::ContestTotalOutOfRange`] (neither reports a value:
    /// they are the secret ballot).
    pub fn check(&self, contest: usize, first_option: usize, values: &[u64]) -> Result<()> {
        if let Some(i) = values.iter().position(|&value| value > self.limit) {
            return Err(CircuitError::ChoiceOverLimit {
                option: first_option + i,
                limit: self.limit,
            });
        }
        let total: u64 = values.iter().sum();
        if (self.min..=self.max).contains(&total) {
            Ok(())
        } else {
            Err(CircuitError::ContestTotalOutOfRange {
                contest,
                min: self.min,
                max: self.max,
            })
        }
    }
}
