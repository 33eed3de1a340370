//! Choosing workloads by name or filter, and refusing a name or filter that
//! chooses nothing before anything is built or measured, with the catalogue's
//! closest names (a typo must not cost a bisection of builds).

use super::{Def, catalogue};
use crate::error::{Error, Result};

/// At most this many close names are suggested.
const SUGGESTED: usize = 5;
/// Similarity (0–1, normalised Damerau–Levenshtein) a name needs to be suggested.
const CLOSE: f64 = 0.6;

/// Does a workload name match a filter? Comma-separated alternatives; each is a
/// glob when it contains `*` (matching any run of characters), else a substring.
pub fn matches_filter(filter: &str, name: &str) -> bool {
    alternatives(filter).any(|p| matches_one(p, name))
}

fn alternatives(filter: &str) -> impl Iterator<Item = &str> {
    filter.split(',').map(str::trim).filter(|p| !p.is_empty())
}

fn matches_one(pattern: &str, name: &str) -> bool {
    if pattern.contains('*') {
        glob(pattern.as_bytes(), name.as_bytes())
    } else {
        name.contains(pattern)
    }
}

/// `*`-only glob matching, iterative with backtracking to the last star.
fn glob(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if p < pat.len() && pat[p] == s[i] {
            p += 1;
            i += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// The definition of the workload named exactly `name`, or an error naming the
/// closest names in the catalogue.
pub fn require_name(name: &str) -> Result<Def> {
    super::find(name).ok_or_else(|| Error::Workload {
        workload: name.to_string(),
        reason: format!("not in the catalogue{}", hint(name)),
    })
}

/// Check that every alternative of `filter` matches some workload of the catalogue.
pub fn require_filter(filter: &str) -> Result<()> {
    let defs = catalogue();
    let mut any = false;
    for alt in alternatives(filter) {
        any = true;
        if !defs.iter().any(|d| matches_one(alt, d.name)) {
            return Err(Error::Workload {
                workload: alt.to_string(),
                reason: format!("no workload matches it{}", hint(alt)),
            });
        }
    }
    if !any {
        return Err(Error::Workload {
            workload: filter.to_string(),
            reason: "an empty filter selects nothing".into(),
        });
    }
    Ok(())
}

/// Names of the catalogue close to `given` (a typo of a name or of its group),
/// closest first.
pub fn close_names(given: &str) -> Vec<&'static str> {
    let given = given.replace('*', "");
    let mut scored: Vec<(f64, usize, &'static str)> = catalogue()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let score = strsim::normalized_damerau_levenshtein(&given, d.name)
                .max(strsim::normalized_damerau_levenshtein(&given, d.group));
            (score, i, d.name)
        })
        .filter(|(score, _, _)| *score >= CLOSE)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(SUGGESTED)
        .map(|(_, _, n)| n)
        .collect()
}

fn hint(given: &str) -> String {
    let close = close_names(given);
    if close.is_empty() {
        let all: Vec<&str> = catalogue().iter().map(|d| d.name).collect();
        format!("; the catalogue: {}", all.join(", "))
    } else {
        format!("; did you mean {}?", close.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_substrings_and_globs() {
        assert!(matches_filter("matmul", "matmul/512"));
        assert!(matches_filter("matmul", "matmul_backward/128x256x128"));
        assert!(!matches_filter("matmul/*", "matmul_backward/128x256x128"));
        assert!(matches_filter("matmul/*", "matmul/512"));
        assert!(matches_filter("*/1k", "gelu/1k"));
        assert!(!matches_filter("*/1k", "gelu/10k"));
        assert!(matches_filter("gelu/1k,softmax/256", "softmax/256"));
        assert!(matches_filter("s*max*2*", "softmax/2048"));
        assert!(!matches_filter("", "gelu/1k"));
    }

    #[test]
    fn typos_are_refused_with_the_closest_names() {
        assert_eq!(require_name("matmul/512").unwrap().name, "matmul/512");
        let err = require_name("matmul/51").unwrap_err().to_string();
        assert!(
            err.starts_with("workload matmul/51: not in the catalogue; did you mean matmul/512,"),
            "{err}"
        );
        assert_eq!(close_names("gleu")[0], "gelu/1k");
        require_filter("gelu, softmax/2*").unwrap();
        let err = require_filter("gelu,sofmax").unwrap_err().to_string();
        assert!(
            err.contains("sofmax") && err.contains("softmax/256"),
            "{err}"
        );
        let err = require_filter("zzzzzzzz").unwrap_err().to_string();
        assert!(
            err.contains("no workload matches it; the catalogue: matmul/128,"),
            "{err}"
        );
        assert!(require_filter(" , ").is_err());
    }
}
