//! The coordinate search's stages: how a stage times its candidates, screens them, times
//! its finalists again and keeps one (`stage`), and how a threshold between two ways of
//! running a product is chosen (`threshold`). The rules that decide are in `verdict.rs`.

use super::changes::Changes;
use super::products::{Product, Times, gflops, median};
use super::verdict::{replaces, threshold_replaces, total_time};
use super::{TuningError, dedup};
use crate::matmul::blocking::Blocking;
use crate::matmul::tuning::file::Trial;
use crate::simd::Tier;

/// How many of a stage's best challengers are timed again against the incumbent.
pub(super) const FINALISTS: usize = 3;

/// What every stage of the search shares besides its candidates and products: the
/// tier, the rounds per stage, the trials recorded so far, where progress goes, and the
/// timer (`products::measure` on this CPU; a script in tests: `T(candidates, products,
/// rounds)` gives seconds per candidate, round and product).
pub(super) struct Search<'p, T> {
    pub(super) tier: Tier,
    pub(super) rounds: usize,
    pub(super) trials: Vec<Trial>,
    pub(super) progress: &'p mut dyn FnMut(&str),
    pub(super) timer: T,
}

impl<T> Search<'_, T>
where
    T: FnMut(&[Blocking], &mut [Product], usize) -> Result<Times, TuningError>,
{
    /// Record one candidate's score as a trial and report it (`from`: a threshold's
    /// value, the one from which the operand is packed).
    fn record(&mut self, name: &str, value: &str, gflops: f64, from: bool) {
        let from = if from { "from " } else { "" };
        (self.progress)(&format!(
            "{} {name} {from}{value}: {gflops:.1} GFLOPS",
            self.tier
        ));
        self.trials.push(Trial {
            stage: name.to_string(),
            value: value.to_string(),
            gflops,
        });
    }

    /// Time `candidates` (the incumbent, what is in force so far, first) and return the index
    /// of the one to keep, recording every score as a trial.
    ///
    /// A candidate's score is its geometric-mean GFLOPS relative to candidate 0 of the same
    /// round (so a slow spell of the machine cancels), median over rounds, times candidate
    /// 0's median GFLOPS. The [`FINALISTS`] best challengers are timed again against the
    /// incumbent in twice the rounds (their trials appear twice), and the best-scoring one
    /// that replaces the incumbent there by the rules of `verdict.rs`, on the products the
    /// choice `changes`, is kept; none: the incumbent stays.
    pub(super) fn stage(
        &mut self,
        name: &str,
        candidates: &[(String, Blocking)],
        changes: &Changes,
        products: &mut [Product],
    ) -> Result<usize, TuningError> {
        let screened = self.scores(name, candidates, products, self.rounds)?.0;
        // The best few challengers that scored above the incumbent are measured again
        // against it, in new rounds: the best of many near-equal candidates scored
        // high partly by luck, and the fresh rounds do not share it.
        let mut order: Vec<usize> = (1..candidates.len())
            .filter(|&i| screened[i] > screened[0])
            .collect();
        order.sort_by(|&a, &b| screened[b].total_cmp(&screened[a]));
        order.truncate(FINALISTS);
        if order.is_empty() {
            return Ok(0);
        }
        let finals: Vec<(String, Blocking)> = std::iter::once(0)
            .chain(order.iter().copied())
            .map(|i| candidates[i].clone())
            .collect();
        let (again, times) = self.scores(name, &finals, products, 2 * self.rounds)?;
        // The best-scoring finalist that beats the incumbent by a margin, not by noise,
        // on the products the choice between them changes, and costs none of those
        // products more than the guard (`verdict.rs`).
        let flops: Vec<f64> = products.iter().map(Product::flops).collect();
        let mut ranked: Vec<usize> = (1..finals.len()).collect();
        ranked.sort_by(|&a, &b| again[b].total_cmp(&again[a]));
        Ok(ranked
            .into_iter()
            .find(|&f| {
                let changed: Vec<bool> = products
                    .iter()
                    .map(|p| changes(p, &finals[0].1, &finals[f].1))
                    .collect();
                replaces(&flops, &times, f, &changed)
            })
            .map_or(0, |f| order[f - 1]))
    }

    /// Time `candidates` (candidate 0 the incumbent) in `rounds` rounds and record each
    /// one's score as a trial: its geometric-mean GFLOPS relative to candidate 0's in the
    /// same round, median over rounds, times candidate 0's median. Returns the scores
    /// and the times.
    fn scores(
        &mut self,
        name: &str,
        candidates: &[(String, Blocking)],
        products: &mut [Product],
        rounds: usize,
    ) -> Result<(Vec<f64>, Times), TuningError> {
        let blocks: Vec<Blocking> = candidates.iter().map(|c| c.1).collect();
        let times = (self.timer)(&blocks, products, rounds)?;
        let per_round: Vec<Vec<f64>> = times
            .iter()
            .map(|c| c.iter().map(|r| gflops(products, r)).collect())
            .collect();
        let base = median(per_round[0].clone());
        let mut scores = Vec::with_capacity(candidates.len());
        for (i, (label, _)) in candidates.iter().enumerate() {
            let rel = median(
                per_round[i]
                    .iter()
                    .zip(&per_round[0])
                    .map(|(c, b)| c / b)
                    .collect(),
            );
            self.record(name, label, rel * base, false);
            scores.push(rel * base);
        }
        Ok((scores, times))
    }

    /// A threshold between two ways of running a product: `with(t)` packs an operand of
    /// the products whose `key` is at least `t` and reads the others in place. Both ways
    /// are timed on every product (`with(MAX)`: all in place, `with(0)`: all packed); the
    /// threshold is the one, among 0, each key and twice the largest, with the least total
    /// time, ties going to the larger (no copy), that replaces the `incumbent` by the rules
    /// of `verdict.rs`.
    pub(super) fn threshold(
        &mut self,
        name: &str,
        products: &mut [Product],
        key: impl Fn(&Product) -> usize,
        incumbent: usize,
        with: impl Fn(usize) -> Blocking,
    ) -> Result<usize, TuningError> {
        let times = (self.timer)(&[with(usize::MAX), with(0)], products, self.rounds)?;
        // Per product: median seconds in place, and the median over rounds of packed ÷
        // in place in the same round (a slow spell cancels).
        let med: Vec<[f64; 2]> = (0..products.len())
            .map(|p| {
                let inplace = median(times[0].iter().map(|r| r[p]).collect());
                let ratio = median(
                    times[1]
                        .iter()
                        .zip(&times[0])
                        .map(|(pk, ip)| pk[p] / ip[p])
                        .collect(),
                );
                [inplace, inplace * ratio]
            })
            .collect();
        let keys: Vec<usize> = products.iter().map(&key).collect();
        let mut candidates = dedup({
            let mut k = keys.clone();
            k.sort_unstable();
            k
        });
        candidates.insert(0, 0);
        candidates.push(candidates.last().copied().unwrap_or(1) * 2);
        let flops: f64 = products.iter().map(Product::flops).sum();
        let total = |t: usize| total_time(&med, &keys, t, |_| true);
        let mut ranked = Vec::with_capacity(candidates.len());
        for &t in candidates.iter().rev() {
            let total = total(t);
            self.record(name, &t.to_string(), flops / total / 1e9, true);
            ranked.push((t, total));
        }
        // As in `stage`: the fastest threshold that beats the incumbent by the margin on
        // the products the two treat differently and costs none of them more than the
        // guard (`verdict.rs`); ties go to the larger (listed first, the sort is stable).
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
        Ok(ranked
            .into_iter()
            .map(|(t, _)| t)
            .find(|&t| threshold_replaces(&med, &keys, t, incumbent))
            .unwrap_or(incumbent))
    }

    /// [`Self::threshold`] for a bound up to which an operand is read in place: the
    /// largest `key` read in place (packed from bound + 1 up), `current` the incumbent.
    pub(super) fn in_place_bound(
        &mut self,
        name: &str,
        products: &mut [Product],
        key: impl Fn(&Product) -> usize,
        current: usize,
        with_max: impl Fn(usize) -> Blocking,
    ) -> Result<usize, TuningError> {
        let from = self.threshold(name, products, key, current.saturating_add(1), |t| {
            with_max(t.saturating_sub(1))
        })?;
        Ok(from.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matmul::cache::Caches;
    use crate::matmul::tuning::calibrate::changes::any_product;

    #[test]
    fn a_stage_keeps_the_best_finalist_that_wins_again_and_costs_no_product_much() {
        use crate::matmul::Trans;
        // Candidates told apart by KC: 100 the incumbent; in the screening 101 is 6 %
        // faster on both products (luck), 102 4 %, 103 8 % on the first and 5 % slower on
        // the second, 104 2 % slower. Timed again, 101 ties the incumbent, 102 keeps its
        // 4 % and 103 its loss: 102 is kept, though 101 and 103 screened better.
        let screened = |kc: usize| match kc {
            101 => [0.94, 0.94],
            102 => [0.96, 0.96],
            103 => [0.92, 1.05],
            104 => [1.02, 1.02],
            _ => [1.0, 1.0],
        };
        let again = |kc: usize| match kc {
            102 => [0.96, 0.96],
            103 => [0.92, 1.05],
            _ => [1.0, 1.0],
        };
        let mut calls = Vec::new();
        let mut lines = 0;
        let mut progress = |_: &str| lines += 1;
        let mut search = Search {
            tier: Tier::Scalar,
            rounds: 3,
            trials: Vec::new(),
            progress: &mut progress,
            timer: |blocks: &[Blocking], _: &mut [Product], rounds: usize| {
                let kcs: Vec<usize> = blocks.iter().map(|b| b.kc).collect();
                let script = if calls.is_empty() { screened } else { again };
                calls.push((kcs, rounds));
                Ok(blocks
                    .iter()
                    .map(|b| vec![script(b.kc).to_vec(); rounds])
                    .collect())
            },
        };
        let base = Blocking::for_caches(Tier::Scalar, Caches::FALLBACK);
        let candidates: Vec<(String, Blocking)> = (100..105)
            .map(|kc| (kc.to_string(), Blocking { kc, ..base }))
            .collect();
        let no = Trans::No;
        let mut products = vec![
            Product::new((8, 8, 8, no, no), 1),
            Product::new((8, 8, 8, no, no), 2),
        ];
        let kept = search
            .stage("kc_nc", &candidates, &any_product, &mut products)
            .unwrap();
        assert_eq!(candidates[kept].0, "102");
        // Screened in `rounds`; the incumbent and the three best challengers in their
        // screening order (104 scored below the incumbent) again in twice the rounds,
        // each recorded again.
        assert_eq!(search.trials.len(), 5 + 4);
        drop(search);
        assert_eq!(
            calls,
            vec![
                (vec![100, 101, 102, 103, 104], 3),
                (vec![100, 101, 102, 103], 6)
            ]
        );
        assert_eq!(lines, 5 + 4);
    }
}
