//! The survey metrics of PRODUCT.md with their 95% intervals. Pure arithmetic on scores that
//! are valid by construction, so no function here can fail; an empty sample yields no score.
//!
//! - NPS = 100 × (promoters − detractors) / n on 0–10 (promoters 9–10, detractors 0–6). Each
//!   answer counts +100, 0 or −100; the interval is score ± z·√(σ²/n) with σ² the (population)
//!   variance of those per-answer values, σ² = 100²·(p + d − (p − d)²), clamped to [−100, 100].
//! - CSAT = % of answers 4–5 on 1–5 (top-2-box), Wilson score interval; the mean is shown too.
//! - CES = mean of 1–7; Student-t interval with the sample standard deviation (n − 1); the share
//!   of 5–7 is shown too.

use serde::{Deserialize, Serialize};

use super::{CesScore, CsatScore, NpsScore};

/// The 97.5% quantile of the standard normal distribution.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A metric over a sample: its size, the score and the 95% interval when they exist.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Number of answers.
    pub n: u64,
    /// The score (NPS −100…100, CSAT 0…100 %, CES mean 1…7); none without answers.
    pub score: Option<f64>,
    /// The 95% interval `[lo, hi]`; none when the sample cannot give one (n = 0, or n = 1 for CES).
    pub ci95: Option<[f64; 2]>,
}

impl Estimate {
    const EMPTY: Self = Self {
        n: 0,
        score: None,
        ci95: None,
    };
}

/// Counts of an NPS sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NpsCounts {
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
}

impl NpsCounts {
    /// Tallies `scores`.
    pub fn of(scores: impl IntoIterator<Item = NpsScore>) -> Self {
        let mut c = Self::default();
        for s in scores {
            match s.get() {
                9..=10 => c.promoters += 1,
                7..=8 => c.passives += 1,
                _ => c.detractors += 1,
            }
        }
        c
    }

    /// Number of answers.
    pub fn n(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }
}

/// Net Promoter Score with its normal-approximation interval.
pub fn nps(counts: NpsCounts) -> Estimate {
    let n = counts.n();
    if n == 0 {
        return Estimate::EMPTY;
    }
    let nf = n as f64;
    let p = counts.promoters as f64 / nf;
    let d = counts.detractors as f64 / nf;
    let score = 100.0 * (p - d);
    // Mean of squares (p + d)·100² minus the squared mean.
    let variance = 10_000.0 * (p + d - (p - d).powi(2));
    let half = Z95 * (variance.max(0.0) / nf).sqrt();
    Estimate {
        n,
        score: Some(score),
        ci95: Some([(score - half).max(-100.0), (score + half).min(100.0)]),
    }
}

/// Share (in %) of `k` successes in `n` with its Wilson score interval (in %).
pub fn wilson(k: u64, n: u64) -> Estimate {
    if n == 0 {
        return Estimate::EMPTY;
    }
    let nf = n as f64;
    let p = k.min(n) as f64 / nf;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    Estimate {
        n,
        score: Some(100.0 * p),
        ci95: Some([
            100.0 * (centre - half).max(0.0),
            100.0 * (centre + half).min(1.0),
        ]),
    }
}

/// CSAT: the share of 4–5 answers with its Wilson interval.
pub fn csat(scores: impl IntoIterator<Item = CsatScore>) -> Estimate {
    let (mut k, mut n) = (0, 0);
    for s in scores {
        n += 1;
        if s.get() >= 4 {
            k += 1;
        }
    }
    wilson(k, n)
}

/// The mean of `values` with a Student-t 95% interval (sample standard deviation).
pub fn mean_t(values: impl IntoIterator<Item = f64>) -> Estimate {
    // Welford: one pass, numerically stable.
    let (mut n, mut mean, mut m2) = (0u64, 0.0f64, 0.0f64);
    for x in values {
        n += 1;
        let delta = x - mean;
        mean += delta / n as f64;
        m2 += delta * (x - mean);
    }
    match n {
        0 => Estimate::EMPTY,
        1 => Estimate {
            n,
            score: Some(mean),
            ci95: None,
        },
        _ => {
            let sd = (m2 / (n - 1) as f64).sqrt();
            let half = t975(n - 1) * sd / (n as f64).sqrt();
            Estimate {
                n,
                score: Some(mean),
                ci95: Some([mean - half, mean + half]),
            }
        }
    }
}

/// CES: the mean of 1–7 answers with its t interval.
pub fn ces(scores: impl IntoIterator<Item = CesScore>) -> Estimate {
    mean_t(scores.into_iter().map(|s| f64::from(s.get())))
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom: exact table values up to 30,
/// then the Cornish–Fisher expansion around the normal quantile (error below 1e-6 there).
pub fn t975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706_204_7,
        4.302_652_7,
        3.182_446_3,
        2.776_445_1,
        2.570_581_8,
        2.446_911_9,
        2.364_624_3,
        2.306_004_1,
        2.262_157_2,
        2.228_138_9,
        2.200_985_2,
        2.178_812_8,
        2.160_368_7,
        2.144_786_7,
        2.131_449_5,
        2.119_905_3,
        2.109_815_5,
        2.100_922_0,
        2.093_024_1,
        2.085_963_4,
        2.079_613_8,
        2.073_873_1,
        2.068_657_6,
        2.063_898_6,
        2.059_538_6,
        2.055_529_4,
        2.051_830_5,
        2.048_407_1,
        2.045_229_6,
        2.042_272_5,
    ];
    if df == 0 {
        return f64::INFINITY;
    }
    if let Some(t) = usize::try_from(df - 1).ok().and_then(|i| TABLE.get(i)) {
        return *t;
    }
    let z = Z95;
    let v = df as f64;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * v.powi(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn nps_of(raw: &[i64]) -> Estimate {
        nps(NpsCounts::of(
            raw.iter().map(|&r| NpsScore::parse(r).unwrap()),
        ))
    }

    #[test]
    fn nps_matches_a_hand_computed_sample() {
        // 10, 10, 9, 10, 9 promoters; 8, 7 passives; 6, 0, 5 detractors.
        let e = nps_of(&[10, 10, 9, 8, 7, 6, 0, 5, 10, 9]);
        assert_eq!(e.n, 10);
        assert!(close(e.score.unwrap(), 20.0, 1e-12));
        // σ² = 10000·(0.5 + 0.3 − 0.2²) = 7600; SE = √760 = 27.568098; half = 54.0325.
        let [lo, hi] = e.ci95.unwrap();
        assert!(close(lo, 20.0 - 54.032_478, 1e-5), "{lo}");
        assert!(close(hi, 20.0 + 54.032_478, 1e-5), "{hi}");
    }

    #[test]
    fn nps_edge_cases() {
        let empty = nps_of(&[]);
        assert_eq!((empty.n, empty.score, empty.ci95), (0, None, None));
        // All promoters: +100 with no spread, so the interval collapses onto the score.
        let all = nps_of(&[9, 10, 10]);
        assert_eq!(all.score, Some(100.0));
        assert_eq!(all.ci95, Some([100.0, 100.0]));
        let none = nps_of(&[0, 6, 3]);
        assert_eq!(none.score, Some(-100.0));
        // Half promoters, half detractors: σ² = 10000, the interval is clamped to the scale.
        let split = nps_of(&[10, 0]);
        assert_eq!(split.score, Some(0.0));
        assert_eq!(split.ci95, Some([-100.0, 100.0]));
        // Passives only: 0 with no spread.
        assert_eq!(nps_of(&[7, 8]).ci95, Some([0.0, 0.0]));
    }

    #[test]
    fn csat_wilson_matches_the_textbook() {
        let scores = [5, 4, 4, 5, 5, 4, 4, 5, 2, 3].map(|r| CsatScore::parse(r).unwrap());
        let e = csat(scores);
        assert_eq!(e.n, 10);
        assert!(close(e.score.unwrap(), 80.0, 1e-12));
        // Wilson 8/10 at 95%: [0.490162, 0.943318].
        let [lo, hi] = e.ci95.unwrap();
        assert!(close(lo, 49.0162, 1e-3), "{lo}");
        assert!(close(hi, 94.3318, 1e-3), "{hi}");
        // All satisfied (5/5): the upper bound is 100 %, the lower 56.55 %.
        let all = wilson(5, 5);
        let [lo, hi] = all.ci95.unwrap();
        assert!(close(lo, 56.5518, 1e-3), "{lo}");
        assert!(close(hi, 100.0, 1e-9), "{hi}");
        assert_eq!(wilson(0, 0), Estimate::EMPTY);
        let [lo, _] = wilson(0, 4).ci95.unwrap();
        assert!(close(lo, 0.0, 1e-12));
    }

    #[test]
    fn ces_t_interval_matches_a_hand_computed_sample() {
        // 5, 6, 7, 4, 3: mean 5, sample variance (0+1+4+1+4)/4 = 2.5, sd 1.581139,
        // t(4) = 2.776445, half = 2.776445·1.581139/√5 = 1.963243.
        let e = ces([5, 6, 7, 4, 3].map(|r| CesScore::parse(r).unwrap()));
        assert!(close(e.score.unwrap(), 5.0, 1e-12));
        let [lo, hi] = e.ci95.unwrap();
        assert!(close(lo, 5.0 - 1.963_243, 1e-5), "{lo}");
        assert!(close(hi, 5.0 + 1.963_243, 1e-5), "{hi}");
        let one = ces([CesScore::parse(7).unwrap()]);
        assert_eq!((one.n, one.score, one.ci95), (1, Some(7.0), None));
        assert_eq!(ces([]), Estimate::EMPTY);
        let same = ces([6, 6, 6].map(|r| CesScore::parse(r).unwrap()));
        assert_eq!(same.ci95, Some([6.0, 6.0]));
    }

    #[test]
    fn t_quantiles_join_the_table_smoothly() {
        assert!(close(t975(1), 12.7062, 1e-4));
        assert!(close(t975(30), 2.042_272_5, 1e-7));
        // Reference values: t(0.975; 31) = 2.039513, t(60) = 2.000298, t(120) = 1.979930.
        assert!(close(t975(31), 2.039_513, 1e-5), "{}", t975(31));
        assert!(close(t975(60), 2.000_298, 1e-5), "{}", t975(60));
        assert!(close(t975(120), 1.979_930, 1e-5), "{}", t975(120));
        assert!(close(t975(1_000_000), Z95, 1e-5));
    }
}
