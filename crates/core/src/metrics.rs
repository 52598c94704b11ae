//! Metric formulas: averages, median, percentiles and resolution rate.
//!
//! Percentiles use the nearest-rank method on the sorted sample, so every
//! reported figure is a value that was actually observed.

use chrono::{DateTime, Utc};

/// Summary of a sample of durations in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of observations.
    pub count: u64,
    /// Mean, `None` for an empty sample.
    pub avg: Option<f64>,
    /// Median (nearest rank), `None` for an empty sample.
    pub median: Option<f64>,
    /// 90th percentile (nearest rank), `None` for an empty sample.
    pub p90: Option<f64>,
}

/// Summarizes a sample (any order).
pub fn summarize(sample: &[f64]) -> Summary {
    let mut sorted: Vec<f64> = sample.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    Summary {
        count: sorted.len() as u64,
        avg: average(&sorted),
        median: percentile_sorted(&sorted, 50.0),
        p90: percentile_sorted(&sorted, 90.0),
    }
}

/// Arithmetic mean, `None` when empty.
pub fn average(sample: &[f64]) -> Option<f64> {
    if sample.is_empty() {
        None
    } else {
        Some(sample.iter().sum::<f64>() / sample.len() as f64)
    }
}

/// Nearest-rank percentile `p` (0–100] of an ascending sample, `None` when empty.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted.len()) - 1;
    Some(sorted[idx])
}

/// Seconds from when a conversation's first-response clock starts to its
/// first public reply by a human: for chatbot conversations the clock starts
/// at the hand-off (the bot's own time does not count), else at the first
/// customer message. Never negative.
pub fn first_response_secs(
    first_customer_at: DateTime<Utc>,
    handed_off_at: Option<DateTime<Utc>>,
    first_response_at: DateTime<Utc>,
) -> f64 {
    let start = handed_off_at.unwrap_or(first_customer_at);
    (first_response_at - start).num_milliseconds().max(0) as f64 / 1000.0
}

/// Resolved ÷ assigned, `None` when nothing was assigned.
pub fn resolution_rate(resolved: u64, assigned: u64) -> Option<f64> {
    if assigned == 0 {
        None
    } else {
        Some(resolved as f64 / assigned as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sample_has_no_figures() {
        let s = summarize(&[]);
        assert_eq!(s.count, 0);
        assert_eq!(s.avg, None);
        assert_eq!(s.median, None);
        assert_eq!(s.p90, None);
    }

    #[test]
    fn nearest_rank_figures() {
        let sample: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let s = summarize(&sample);
        assert_eq!(s.count, 10);
        assert_eq!(s.avg, Some(5.5));
        assert_eq!(s.median, Some(5.0));
        assert_eq!(s.p90, Some(9.0));
        assert_eq!(summarize(&[7.0]).p90, Some(7.0));
        assert_eq!(summarize(&[1.0, 100.0]).median, Some(1.0));
    }

    #[test]
    fn non_finite_values_are_ignored() {
        let s = summarize(&[f64::NAN, 2.0, f64::INFINITY]);
        assert_eq!(s.count, 1);
        assert_eq!(s.avg, Some(2.0));
    }

    #[test]
    fn first_response_counts_from_the_hand_off_when_there_was_one() {
        use chrono::TimeZone;
        let t = |s| Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, s).unwrap();
        assert_eq!(first_response_secs(t(0), None, t(30)), 30.0);
        assert_eq!(first_response_secs(t(0), Some(t(20)), t(30)), 10.0);
        assert_eq!(
            first_response_secs(t(10), None, t(5)),
            0.0,
            "never negative"
        );
    }

    #[test]
    fn resolution_rate_is_resolved_over_assigned() {
        assert_eq!(resolution_rate(3, 4), Some(0.75));
        assert_eq!(resolution_rate(0, 0), None);
        assert_eq!(resolution_rate(0, 5), Some(0.0));
    }
}
