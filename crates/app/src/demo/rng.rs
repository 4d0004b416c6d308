//! A small deterministic pseudo-random generator (SplitMix64) and the allocation helpers the
//! generator builds on. No `rand`: the same seed gives the same numbers on every platform and
//! every Rust version, so the same seed gives the same files.

/// SplitMix64 (Steele, Lea, Flood 2014): one `u64` of state, good enough statistics for demo
/// data, and cheap to derive independent streams from `(seed, tag, index)`.
#[derive(Clone, Debug)]
pub struct Rng(u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a tag, so streams can be named.
fn tag_hash(tag: &str) -> u64 {
    tag.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(mix(seed ^ GOLDEN))
    }

    /// An independent stream for `(seed, tag, index)`: e.g. the households of village 17.
    pub fn stream(seed: u64, tag: &str, index: u64) -> Rng {
        Rng(mix(
            mix(seed ^ tag_hash(tag)).wrapping_add(mix(index.wrapping_add(GOLDEN)))
        ))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % n;
            }
        }
    }

    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high - low) as u64 + 1;
        low + self.below(span) as i64
    }

    /// True with probability `per_mille` / 1000.
    pub fn per_mille(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// True with probability `numerator / denominator` (exact, integer arithmetic).
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        denominator > 0 && self.below(denominator) < numerator
    }

    /// One of `items`, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index chosen with the given integer weights (at least one positive).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut point = self.below(total.max(1));
        for (index, weight) in weights.iter().enumerate() {
            if point < *weight {
                return index;
            }
            point -= weight;
        }
        weights.len() - 1
    }
}

/// Splits `total` into parts proportional to `weights`, summing exactly to `total` (largest
/// remainder; ties to the earlier part). All weights zero: everything to the first part.
pub fn allocate(total: i64, weights: &[u64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let negative = total < 0;
    let magnitude = u128::from(total.unsigned_abs());
    let mut parts: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = magnitude * u128::from(*weight);
        parts.push(exact / sum);
        remainders.push((exact % sum, index));
    }
    let assigned: u128 = parts.iter().sum();
    let mut left = magnitude - assigned;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders {
        if left == 0 {
            break;
        }
        parts[index] += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|part| {
            let part = part as i64;
            if negative { -part } else { part }
        })
        .collect()
}

/// Sequential exact split: hands out `count` amounts, in `unit` steps, between `min` and `max`
/// each, summing exactly to `total` — one at a time, so nothing is held in memory. Each amount
/// is drawn around the average still to give and clamped so the rest stays feasible.
#[derive(Clone, Debug)]
pub struct ExactSplit {
    left: i64,
    count_left: u64,
    min: i64,
    max: i64,
    unit: i64,
}

impl ExactSplit {
    /// `total`, `min` and `max` are rounded to `unit`; when the total does not fit `count`
    /// amounts within the bounds, the bounds give way (the total is what must be exact).
    pub fn new(total: i64, count: u64, min: i64, max: i64, unit: i64) -> ExactSplit {
        let unit = unit.max(1);
        ExactSplit {
            left: total.max(0) / unit,
            count_left: count,
            min: (min / unit).max(1),
            max: (max / unit).max(1),
            unit,
        }
    }

    pub fn remaining_count(&self) -> u64 {
        self.count_left
    }

    /// The next amount; `spread_pct` is how far (in percent of the average) a draw may stray.
    pub fn next(&mut self, rng: &mut Rng, spread_pct: i64) -> Option<i64> {
        if self.count_left == 0 {
            return None;
        }
        let n = self.count_left as i64;
        let amount = if n == 1 {
            self.left
        } else {
            let average = self.left / n;
            let spread = (average * spread_pct / 100).max(0);
            let draw = rng.range(average - spread, average + spread);
            let others = n - 1;
            let low = self.min.max(self.left - self.max.saturating_mul(others));
            let high = self.max.min(self.left - self.min.saturating_mul(others));
            if low > high {
                average.max(0)
            } else {
                draw.clamp(low, high)
            }
        };
        self.left -= amount;
        self.count_left -= 1;
        Some(amount * self.unit)
    }
}

/// Knuth's selection sampling (Algorithm S): chooses exactly `wanted` of `total` items seen
/// one by one, each subset equally likely, remembering only two counters.
#[derive(Clone, Debug)]
pub struct Selection {
    wanted: u64,
    seen_left: u64,
}

impl Selection {
    pub fn new(wanted: u64, total: u64) -> Selection {
        Selection {
            wanted: wanted.min(total),
            seen_left: total,
        }
    }

    /// Whether the next item is chosen.
    pub fn next(&mut self, rng: &mut Rng) -> bool {
        if self.seen_left == 0 {
            return false;
        }
        let chosen = rng.chance(self.wanted, self.seen_left);
        self.seen_left -= 1;
        if chosen {
            self.wanted -= 1;
        }
        chosen
    }

    pub fn wanted_left(&self) -> u64 {
        self.wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(7, "x", 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::stream(7, "x", 1).next_u64(),
            Rng::stream(7, "x", 2).next_u64()
        );
        assert_ne!(
            Rng::stream(7, "x", 1).next_u64(),
            Rng::stream(7, "y", 1).next_u64()
        );
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn allocation_is_exact() {
        assert_eq!(allocate(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(allocate(380_300, &[3, 5, 7]).iter().sum::<i64>(), 380_300);
        assert_eq!(allocate(-7, &[1, 1]), vec![-4, -3]);
        assert_eq!(allocate(5, &[0, 0]), vec![5, 0]);
    }

    #[test]
    fn exact_split_hits_the_total_within_bounds() {
        let mut rng = Rng::new(3);
        let mut split = ExactSplit::new(130_000_000, 5_086, 10_000, 50_000, 1_000);
        let mut sum = 0;
        let mut count = 0;
        while let Some(amount) = split.next(&mut rng, 60) {
            assert!((10_000..=50_000).contains(&amount), "{amount}");
            assert_eq!(amount % 1_000, 0);
            sum += amount;
            count += 1;
        }
        assert_eq!((sum, count), (130_000_000, 5_086));
    }

    #[test]
    fn selection_chooses_exactly() {
        let mut rng = Rng::new(9);
        let mut selection = Selection::new(37, 100);
        let chosen = (0..100).filter(|_| selection.next(&mut rng)).count();
        assert_eq!(chosen, 37);
    }
}
