//! The bisect search over a throwaway repository's first-parent history, with a
//! test double that "measures" a known injected regression.

use crate::history_support;

use history_support::repo_with_commits;
use smprof::error::Result;
use smprof::history::bisect::{Figures, Outcome, Prober, StepKind, bisect, first_parent_range};
use smprof::result::CommitInfo;
use std::collections::HashSet;

/// Commits from `bad_from` on are 20 % slower; `unbuildable` cannot be measured.
struct Injected {
    shas: Vec<String>,
    bad_from: usize,
    unbuildable: HashSet<usize>,
    builds: usize,
    built: HashSet<String>,
}

impl Injected {
    fn new(shas: &[CommitInfo], bad_from: usize) -> Injected {
        Injected {
            shas: shas.iter().map(|c| c.sha.clone()).collect(),
            bad_from,
            unbuildable: HashSet::new(),
            // The good end is built once, for every probe to run against.
            builds: 1,
            built: HashSet::new(),
        }
    }
}

impl Prober for Injected {
    fn probe(&mut self, c: &CommitInfo) -> Result<Option<Figures>> {
        let i = self
            .shas
            .iter()
            .position(|s| s == &c.sha)
            .expect("probe outside the range");
        assert!(i > 0, "the good end is never probed");
        assert!(self.built.insert(c.sha.clone()), "{} probed twice", c.short);
        self.builds += 1;
        if self.unbuildable.contains(&i) {
            return Ok(None);
        }
        let v = if i >= self.bad_from {
            120.0
        } else {
            100.0 + i as f64 * 0.1
        };
        Ok(Some(Figures {
            good: 100.0,
            candidate: v,
            change: v / 100.0 - 1.0,
            regressed: v > 110.0,
            detail: String::new(),
        }))
    }
}

fn log2_ceil(n: usize) -> usize {
    (usize::BITS - (n - 1).leading_zeros()) as usize
}

#[test]
fn finds_the_injected_regression_in_log2_n_plus_one_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, ids) = repo_with_commits(tmp.path(), 40);
    for (g, b) in [
        (0usize, 39usize),
        (5, 21),
        (10, 12),
        (3, 4),
        (0, 16),
        (7, 23),
    ] {
        let range = first_parent_range(&repo, &ids[g].to_string(), &ids[b].to_string()).unwrap();
        let n = range.len();
        assert_eq!(n, b - g + 1);
        for bad_from in 1..n {
            let mut p = Injected::new(&range, bad_from);
            let out = bisect(&range, &mut p, &mut |_| {}).unwrap();
            let Outcome::Found {
                first_bad,
                last_good,
                step,
                before,
                after,
                steps,
            } = out
            else {
                panic!("N = {n}, bad from {bad_from}: {out:?}");
            };
            assert_eq!(first_bad.sha, range[bad_from].sha, "N = {n}");
            assert_eq!(last_good.sha, range[bad_from - 1].sha);
            assert!(p.builds <= log2_ceil(n) + 1, "N = {n}: {} builds", p.builds);
            assert!(
                steps
                    .iter()
                    .all(|s| range[1..].iter().any(|c| c.sha == s.commit.sha))
            );
            assert_eq!(after, 120.0);
            assert!((before - (100.0 + (bad_from - 1) as f64 * 0.1)).abs() < 1e-9 || bad_from == 1);
            assert!(step > 0.15, "{step}");
        }
    }
}

#[test]
fn a_range_that_does_not_regress_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, ids) = repo_with_commits(tmp.path(), 9);
    let range = first_parent_range(&repo, &ids[0].to_string(), &ids[8].to_string()).unwrap();
    let mut p = Injected::new(&range, usize::MAX);
    let out = bisect(&range, &mut p, &mut |_| {}).unwrap();
    assert!(matches!(out, Outcome::NotReproduced { .. }), "{out:?}");
    assert!(p.builds <= log2_ceil(9) + 1);
}

#[test]
fn unbuildable_commits_are_skipped_and_never_named_outside_the_range() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, ids) = repo_with_commits(tmp.path(), 20);
    let range = first_parent_range(&repo, &ids[2].to_string(), &ids[18].to_string()).unwrap();
    // The regression at 11; 4, 8 (the first midpoint) and 13 do not build: the
    // search goes around them.
    let mut p = Injected::new(&range, 11);
    p.unbuildable = [4, 8, 13].into();
    let mut seen = Vec::new();
    let out = bisect(&range, &mut p, &mut |s| seen.push(s.kind)).unwrap();
    let Outcome::Found { first_bad, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(first_bad.sha, range[11].sha);
    assert_eq!(seen[0], StepKind::Skip);
    assert!(seen.iter().filter(|k| **k != StepKind::Skip).count() <= log2_ceil(range.len()));

    // The regression sits among unbuildable commits: the answer is the set.
    let mut p = Injected::new(&range, 9);
    p.unbuildable = [8, 9].into();
    let out = bisect(&range, &mut p, &mut |_| {}).unwrap();
    let Outcome::Ambiguous { candidates, .. } = out else {
        panic!("{out:?}")
    };
    let shas: Vec<&str> = candidates.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(
        shas,
        vec![
            range[8].sha.as_str(),
            range[9].sha.as_str(),
            range[10].sha.as_str()
        ]
    );
}

#[test]
fn good_must_be_a_first_parent_ancestor_of_bad() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, ids) = repo_with_commits(tmp.path(), 5);
    let err = first_parent_range(&repo, &ids[3].to_string(), &ids[1].to_string()).unwrap_err();
    assert!(
        err.to_string().contains("not on the first-parent history"),
        "{err}"
    );
    assert!(first_parent_range(&repo, &ids[2].to_string(), &ids[2].to_string()).is_err());
    assert!(first_parent_range(&repo, "nonexistent-ref", &ids[2].to_string()).is_err());
}
