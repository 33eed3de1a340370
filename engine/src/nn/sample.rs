//! Choosing the next token from logits: greedy, or sampling with temperature,
//! top-k and top-p (nucleus) filtering, from a seeded generator.

use crate::error::{Error, Result};
use crate::rng::Rng;

/// How to pick tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// The most likely token (the first on ties, as `argmax` does).
    Greedy,
    /// Sample from softmax(logits / temperature), optionally restricted to the
    /// `top_k` most likely tokens and then to the smallest set whose
    /// probability reaches `top_p`.
    Sample {
        temperature: f32,
        top_k: Option<usize>,
        top_p: Option<f32>,
        seed: u64,
    },
}

impl Sampling {
    /// Refuse parameters that define no distribution.
    pub fn validate(&self) -> Result<()> {
        if let Sampling::Sample {
            temperature,
            top_k,
            top_p,
            ..
        } = *self
        {
            if !(temperature > 0.0 && temperature.is_finite()) {
                return Err(Error::arg(
                    "sampling",
                    format!("temperature {temperature} must be positive"),
                ));
            }
            if top_k == Some(0) {
                return Err(Error::arg("sampling", "top_k must be at least 1"));
            }
            if let Some(p) = top_p
                && !(p > 0.0 && p <= 1.0)
            {
                return Err(Error::arg(
                    "sampling",
                    format!("top_p {p} must be in (0, 1]"),
                ));
            }
        }
        Ok(())
    }
}

/// A token picker with its scratch space (reused: sampling allocates nothing per token).
#[derive(Debug)]
pub struct Sampler {
    mode: Sampling,
    rng: Rng,
    /// (probability, token) candidates, sorted by descending probability.
    cand: Vec<(f32, u32)>,
}

impl Sampler {
    /// A sampler for a vocabulary of `vocab` tokens.
    pub fn new(mode: Sampling, vocab: usize) -> Result<Sampler> {
        mode.validate()?;
        let seed = match mode {
            Sampling::Sample { seed, .. } => seed,
            Sampling::Greedy => 0,
        };
        Ok(Sampler {
            mode,
            rng: Rng::new(seed),
            cand: Vec::with_capacity(vocab),
        })
    }

    /// The next token.
    pub fn pick(&mut self, logits: &[f32]) -> Result<u32> {
        if logits.is_empty() {
            return Err(Error::arg("sampling", "empty logits"));
        }
        if logits.iter().any(|x| x.is_nan()) {
            return Err(Error::arg("sampling", "logits contain NaN"));
        }
        let (temperature, top_k, top_p) = match self.mode {
            Sampling::Greedy => return Ok(argmax(logits)),
            Sampling::Sample {
                temperature,
                top_k,
                top_p,
                ..
            } => (temperature, top_k, top_p),
        };
        let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        self.cand.clear();
        self.cand.extend(
            logits
                .iter()
                .enumerate()
                .map(|(i, &l)| (((l - m) / temperature).exp(), i as u32)),
        );
        // Descending probability; ties by token id so the order is deterministic.
        self.cand
            .sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if let Some(k) = top_k {
            self.cand.truncate(k.min(self.cand.len()));
        }
        let total: f32 = self.cand.iter().map(|c| c.0).sum();
        if let Some(p) = top_p {
            // Keep the smallest prefix whose mass reaches p (at least one token).
            let mut acc = 0.0;
            let mut keep = self.cand.len();
            for (i, c) in self.cand.iter().enumerate() {
                acc += c.0 / total;
                if acc >= p {
                    keep = i + 1;
                    break;
                }
            }
            self.cand.truncate(keep);
        }
        let total: f32 = self.cand.iter().map(|c| c.0).sum();
        let mut r = self.rng.uniform() * total;
        for &(w, tok) in &self.cand {
            if r < w {
                return Ok(tok);
            }
            r -= w;
        }
        // Rounding left r past the last weight: the last candidate.
        Ok(self.cand.last().map_or(0, |c| c.1))
    }
}

/// Index of the largest value (the first on ties).
pub(crate) fn argmax(x: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_first_maximum() {
        let mut s = Sampler::new(Sampling::Greedy, 4).unwrap();
        assert_eq!(s.pick(&[0.0, 3.0, 3.0, 1.0]).unwrap(), 1);
        assert!(s.pick(&[f32::NAN, 1.0]).is_err());
    }

    fn sample(top_k: Option<usize>, top_p: Option<f32>, t: f32, seed: u64) -> Sampler {
        let mode = Sampling::Sample {
            temperature: t,
            top_k,
            top_p,
            seed,
        };
        Sampler::new(mode, 8).unwrap()
    }

    #[test]
    fn top_k_and_top_p_restrict_the_support() {
        let logits = [0.0, 2.0, 1.0, 0.5, -1.0];
        let mut s = sample(Some(2), None, 1.0, 1);
        for _ in 0..200 {
            assert!(matches!(s.pick(&logits).unwrap(), 1 | 2));
        }
        // probabilities ∝ e^2, e^1, e^.5, 1, e^-1: the top token alone holds ~0.56
        let mut s = sample(None, Some(0.5), 1.0, 2);
        for _ in 0..200 {
            assert_eq!(s.pick(&logits).unwrap(), 1);
        }
    }

    #[test]
    fn sampling_follows_the_distribution_and_is_seeded() {
        let logits = [0.0, (3.0f32).ln()];
        let mut s = sample(None, None, 1.0, 3);
        let n = 20_000;
        let ones = (0..n).filter(|_| s.pick(&logits).unwrap() == 1).count();
        assert!((ones as f64 / n as f64 - 0.75).abs() < 0.02, "{ones}");
        let run = |seed| {
            let mut s = sample(None, None, 0.7, seed);
            (0..50)
                .map(|_| s.pick(&[0.1, 0.2, 0.3]).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
        // A tiny temperature is greedy.
        let mut s = sample(None, None, 1e-3, 4);
        assert_eq!(s.pick(&[0.0, 1.0, 0.5]).unwrap(), 1);
    }

    #[test]
    fn invalid_parameters_are_refused() {
        let bad = |t, k, p| {
            Sampler::new(
                Sampling::Sample {
                    temperature: t,
                    top_k: k,
                    top_p: p,
                    seed: 0,
                },
                4,
            )
            .is_err()
        };
        assert!(bad(0.0, None, None));
        assert!(bad(1.0, Some(0), None));
        assert!(bad(1.0, None, Some(1.5)));
    }
}
