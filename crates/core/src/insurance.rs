//! Agriculture-related insurance: who pays a premium. A policy's premium is shared between the
//! central, provincial and county governments' subsidies and the farmer, in basis points that
//! sum to 10,000.

use std::fmt;

use crate::money::Fen;

/// The four payers of a premium, in the order their parts are worked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Payer {
    Central,
    Provincial,
    County,
    Farmer,
}

impl Payer {
    pub const ALL: [Payer; 4] = [
        Payer::Central,
        Payer::Provincial,
        Payer::County,
        Payer::Farmer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Payer::Central => "central",
            Payer::Provincial => "provincial",
            Payer::County => "county",
            Payer::Farmer => "farmer",
        }
    }
}

/// Each payer's share of a premium, in basis points summing to 10,000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PremiumShares {
    bps: [i64; 4],
}

/// Why shares were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharesError {
    OutOfRange(Payer, i64),
    NotWhole(i64),
}

impl fmt::Display for SharesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SharesError::OutOfRange(payer, bps) => write!(
                f,
                "the {} share {bps} bps is not between 0 and 10000",
                payer.as_str()
            ),
            SharesError::NotWhole(sum) => {
                write!(f, "the premium shares sum to {sum} bps, not 10000 (100 %)")
            }
        }
    }
}

impl std::error::Error for SharesError {}

impl PremiumShares {
    /// Shares of central, provincial, county and farmer, in that order.
    pub fn new(
        central: i64,
        provincial: i64,
        county: i64,
        farmer: i64,
    ) -> Result<PremiumShares, SharesError> {
        let bps = [central, provincial, county, farmer];
        for (payer, share) in Payer::ALL.into_iter().zip(bps) {
            if !(0..=10_000).contains(&share) {
                return Err(SharesError::OutOfRange(payer, share));
            }
        }
        let sum: i64 = bps.iter().sum();
        if sum != 10_000 {
            return Err(SharesError::NotWhole(sum));
        }
        Ok(PremiumShares { bps })
    }

    pub fn bps(&self, payer: Payer) -> i64 {
        self.bps[payer as usize]
    }

    /// Splits `amount` to the fen: each part is its share rounded down, and the fen left by the
    /// rounding (at most three) go to the farmer — or, when the farmer pays nothing, to the last
    /// government with a share (the county, else the province, else the centre). The parts
    /// always sum to `amount`.
    pub fn split(&self, amount: Fen) -> [Fen; 4] {
        let mut parts = self
            .bps
            .map(|bps| i128::from(amount.fen()) * i128::from(bps) / 10_000);
        let left = i128::from(amount.fen()) - parts.iter().sum::<i128>();
        let taker = (0..4).rev().find(|&i| self.bps[i] > 0).unwrap_or(3);
        parts[taker] += left;
        // Each part is at most `amount`, so it fits an i64.
        parts.map(|part| Fen::new(i64::try_from(part).unwrap_or(i64::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_must_make_a_whole() {
        assert_eq!(
            PremiumShares::new(4000, 2500, 1500, 1000),
            Err(SharesError::NotWhole(9000))
        );
        assert_eq!(
            PremiumShares::new(-1, 5001, 5000, 0),
            Err(SharesError::OutOfRange(Payer::Central, -1))
        );
    }

    #[test]
    fn a_premium_split_to_the_fen() {
        // 40 / 25 / 15 / 20 % of 123.45 yuan (12,345 fen):
        // central 4,938.0 → 4,938; provincial 3,086.25 → 3,086; county 1,851.75 → 1,851;
        // farmer 2,469.0 → 2,469, plus the 1 fen left (12,345 − 12,344) → 2,470.
        let shares = PremiumShares::new(4000, 2500, 1500, 2000).expect("whole");
        assert_eq!(
            shares.split(Fen::new(12_345)),
            [4_938, 3_086, 1_851, 2_470].map(Fen::new)
        );
        // Without a farmer's share the county takes the fen left: 50 / 30 / 20 % of 1 fen →
        // 0, 0, 0 and the 1 fen to the county.
        let free = PremiumShares::new(5000, 3000, 2000, 0).expect("whole");
        assert_eq!(free.split(Fen::new(1)), [0, 0, 1, 0].map(Fen::new));
    }
}
