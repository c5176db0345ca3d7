//! Order statistics over latency samples: nearest-rank percentiles, so a
//! reported p99 is always a latency that was actually observed.

use std::time::Duration;

use serde::Serialize;

/// A latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// Nearest-rank percentile of ascending `sorted`: the smallest sample with
/// at least `p` percent of the samples at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    assert!(!sorted.is_empty(), "percentile of no samples");
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `None` for no samples.
pub fn summarize(samples: &[Duration]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut ms: Vec<f64> = samples.iter().copied().map(millis).collect();
    ms.sort_by(f64::total_cmp);
    Some(Summary {
        samples: ms.len(),
        p50_ms: percentile(&ms, 50.0),
        p99_ms: percentile(&ms, 99.0),
        min_ms: ms[0],
        max_ms: ms[ms.len() - 1],
        mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
    })
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&hundred, 50.0), 50.0);
    assert_eq!(percentile(&hundred, 99.0), 99.0);
    assert_eq!(percentile(&hundred, 100.0), 100.0);
    assert_eq!(percentile(&hundred, 0.0), 1.0);
    assert_eq!(percentile(&[7.0], 99.0), 7.0);
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(percentile(&ten, 50.0), 5.0);
    assert_eq!(percentile(&ten, 99.0), 10.0);

    let unsorted = [3, 1, 2].map(Duration::from_millis);
    let s = summarize(&unsorted).unwrap();
    assert_eq!((s.samples, s.p50_ms, s.p99_ms), (3, 2.0, 3.0));
    assert_eq!((s.min_ms, s.max_ms, s.mean_ms), (1.0, 3.0, 2.0));
    assert!(summarize(&[]).is_none());
}
