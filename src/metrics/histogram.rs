//! A latency histogram in microseconds that serializes to a compact string, so that
//! `summary.json` carries full distributions that can be re-rendered and merged later.

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize, Serializer};

/// Microsecond latencies with 3 significant digits (0.1 % resolution), growing as needed.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyHistogram(Histogram<u64>);

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::with_precision(3)
    }
}

impl LatencyHistogram {
    /// `sigfig` significant digits: 3 for step totals, 2 for the many per-second slices.
    pub fn with_precision(sigfig: u8) -> Self {
        let mut h = Histogram::new(sigfig).expect("1..=5 significant figures is valid");
        h.auto(true);
        LatencyHistogram(h)
    }

    /// Records one latency; 0 µs is stored as 1 µs (HDR's lowest unit).
    pub fn record(&mut self, micros: u64) {
        // Auto-resize makes recording infallible for any u64 we can produce.
        let _ = self.0.record(micros.max(1));
    }

    /// Adds another histogram's samples (shards, stages, seconds).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        let _ = self.0.add(&other.0);
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The value at percentile `p` (0–100) in µs; 0 when empty.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.value_at_quantile(p / 100.0)
        }
    }

    /// Mean in µs; 0 when empty.
    pub fn mean(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.mean()
        }
    }

    /// Largest sample in µs.
    pub fn max(&self) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.max()
        }
    }

    /// Smallest sample in µs.
    pub fn min(&self) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.min()
        }
    }

    /// The underlying HDR histogram, for distribution charts and statistics.
    pub fn inner(&self) -> &Histogram<u64> {
        &self.0
    }

    /// HdrHistogram V2 + DEFLATE, base64: the format other HDR tools read.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.0, &mut bytes)
            .expect("serializing into memory cannot fail");
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Reads what [`to_base64`](Self::to_base64) wrote.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("histogram is not base64: {e}"))?;
        let mut h: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("histogram does not decode: {e:?}"))?;
        h.auto(true);
        Ok(LatencyHistogram(h))
    }
}

impl Serialize for LatencyHistogram {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for LatencyHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LatencyHistogram::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_merges() {
        let mut a = LatencyHistogram::default();
        for v in 1..=1000 {
            a.record(v * 100);
        }
        let b = LatencyHistogram::from_base64(&a.to_base64()).unwrap();
        assert_eq!(a.count(), b.count());
        assert_eq!(a.percentile(95.0), b.percentile(95.0));
        let mut merged = a.clone();
        merged.merge(&b);
        assert_eq!(merged.count(), 2000);
        let p95 = merged.percentile(95.0) as f64;
        assert!((p95 - 95_000.0).abs() / 95_000.0 < 0.01, "p95 {p95}");
    }

    #[test]
    fn empty_is_zero_not_panic() {
        let h = LatencyHistogram::default();
        assert_eq!((h.percentile(99.0), h.max(), h.mean() as u64), (0, 0, 0));
    }
}
