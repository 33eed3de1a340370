//! Results shared through the git remote as notes: one result (compact JSON) per
//! commit under `refs/notes/smprof`, so a team's CI machines build one history.
//!
//! Exchanging notes merges, never overwrites: `pull` fetches the remote's notes ref
//! into a scratch ref and adds every note we lack, `push` does the same first so
//! the ref it pushes descends from the remote's (a fast-forward). When both sides
//! hold a note for the same commit, the local one is kept and counted.

use crate::error::{Error, Result};
use crate::result::{self, RunResult};
use git2::{Oid, Repository};
use std::path::PathBuf;

/// The notes ref holding results.
pub const NOTES_REF: &str = "refs/notes/smprof";

/// What a push or pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Notes the other side had that we added locally.
    pub fetched: usize,
    /// Commits with a note on both sides that differ (the local note was kept).
    pub conflicts: usize,
    /// Notes in the pushed ref (push only).
    pub pushed: usize,
}

/// The pseudo-path a result read from a note is reported under.
pub fn note_path(commit: Oid) -> PathBuf {
    PathBuf::from(format!("{NOTES_REF}:{commit}"))
}

/// The result stored as a note on `commit`, if any. A note that is not a valid
/// result is an error naming the note.
pub fn read(repo: &Repository, commit: Oid) -> Result<Option<RunResult>> {
    let note = match repo.find_note(Some(NOTES_REF), commit) {
        Ok(n) => n,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let text = note.message().ok_or_else(|| Error::Invalid {
        path: note_path(commit),
        reason: "the note is not UTF-8".into(),
    })?;
    result::from_str(text, &note_path(commit)).map(Some)
}

/// Store `result` as the note of its commit (replacing an older note there).
/// Dirty results and results without a commit are refused: a note names a commit.
pub fn write(repo: &Repository, result: &RunResult) -> Result<Oid> {
    let commit = match &result.commit {
        Some(c) if !c.dirty => Oid::from_str(&c.sha)?,
        Some(_) => {
            return Err(Error::Other {
                what: format!("result {}", result.label()),
                reason: "measured on a dirty work tree: it belongs to no commit".into(),
            });
        }
        None => {
            return Err(Error::Other {
                what: format!("result {}", result.label()),
                reason: "has no commit to attach a note to".into(),
            });
        }
    };
    repo.find_commit(commit).map_err(|e| {
        Error::Git(format!(
            "commit {commit} of result {} is not in this repository: {}",
            result.label(),
            e.message()
        ))
    })?;
    let json = serde_json::to_string(result).map_err(|e| Error::Other {
        what: "serialising result".into(),
        reason: e.to_string(),
    })?;
    let sig = signature(repo)?;
    Ok(repo.note(&sig, &sig, Some(NOTES_REF), commit, &json, true)?)
}

/// Every commit with a note under `notes_ref`, as (annotated commit, note blob).
pub fn list(repo: &Repository) -> Result<Vec<(Oid, Oid)>> {
    list_ref(repo, NOTES_REF)
}

fn list_ref(repo: &Repository, notes_ref: &str) -> Result<Vec<(Oid, Oid)>> {
    let iter = match repo.notes(Some(notes_ref)) {
        Ok(i) => i,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for item in iter {
        let (note, commit) = item?;
        out.push((commit, note));
    }
    Ok(out)
}

/// Fetch `remote`'s notes and merge them into ours.
pub fn pull(repo: &Repository, remote: &str) -> Result<SyncSummary> {
    let scratch = scratch_ref(remote);
    let mut r = find_remote(repo, remote)?;
    let refspec = format!("+{NOTES_REF}:{scratch}");
    match r.fetch(&[refspec.as_str()], None, None) {
        Ok(()) => {}
        Err(e) => {
            return Err(Error::Git(format!(
                "fetching {NOTES_REF} from {remote}: {}",
                e.message()
            )));
        }
    }
    let summary = match repo.find_reference(&scratch) {
        Ok(_) => merge_from(repo, &scratch),
        // The remote has no notes yet: nothing to merge.
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(SyncSummary::default()),
        Err(e) => Err(e.into()),
    };
    if let Ok(mut reference) = repo.find_reference(&scratch) {
        let _ = reference.delete();
    }
    summary
}

/// Merge the remote's notes, then push ours to `remote` (a fast-forward).
pub fn push(repo: &Repository, remote: &str) -> Result<SyncSummary> {
    let mut summary = pull(repo, remote)?;
    if repo.find_reference(NOTES_REF).is_err() {
        return Ok(summary);
    }
    let mut r = find_remote(repo, remote)?;
    let refspec = format!("{NOTES_REF}:{NOTES_REF}");
    // libgit2 reports a rejected ref through this callback, not through the error.
    let rejected = std::cell::RefCell::new(None::<String>);
    {
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.push_update_reference(|name, status| {
            if let Some(s) = status {
                *rejected.borrow_mut() = Some(format!("{name}: {s}"));
            }
            Ok(())
        });
        let mut opts = git2::PushOptions::new();
        opts.remote_callbacks(callbacks);
        r.push(&[refspec.as_str()], Some(&mut opts))
            .map_err(|e| Error::Git(format!("pushing {NOTES_REF} to {remote}: {}", e.message())))?;
    }
    if let Some(why) = rejected.into_inner() {
        return Err(Error::Git(format!("{remote} rejected {why}")));
    }
    summary.pushed = list(repo)?.len();
    Ok(summary)
}

/// Add every note of `other_ref` we lack, and record the merge as a notes commit
/// with both tips as parents, so pushing the result is a fast-forward.
fn merge_from(repo: &Repository, other_ref: &str) -> Result<SyncSummary> {
    let other_tip = repo.refname_to_id(other_ref)?;
    let local_tip = repo.refname_to_id(NOTES_REF).ok();
    if local_tip == Some(other_tip) {
        return Ok(SyncSummary::default());
    }
    let Some(local_tip) = local_tip else {
        // No local notes: take theirs as they are.
        repo.reference(NOTES_REF, other_tip, true, "smprof: notes from remote")?;
        return Ok(SyncSummary {
            fetched: list(repo)?.len(),
            ..SyncSummary::default()
        });
    };
    if repo.graph_descendant_of(local_tip, other_tip)? {
        // Ours already contains theirs.
        return Ok(SyncSummary::default());
    }
    if repo.graph_descendant_of(other_tip, local_tip)? {
        repo.reference(NOTES_REF, other_tip, true, "smprof: fast-forward notes")?;
        let before: std::collections::HashSet<Oid> =
            list_ref_at(repo, local_tip)?.into_iter().collect();
        let fetched = list(repo)?
            .into_iter()
            .filter(|(c, _)| !before.contains(c))
            .count();
        return Ok(SyncSummary {
            fetched,
            ..SyncSummary::default()
        });
    }
    let ours: std::collections::HashMap<Oid, Oid> = list(repo)?.into_iter().collect();
    let mut summary = SyncSummary::default();
    let sig = signature(repo)?;
    for (commit, blob) in list_ref(repo, other_ref)? {
        match ours.get(&commit) {
            Some(b) if *b == blob => {}
            Some(_) => summary.conflicts += 1,
            None => {
                // A note may annotate a commit this clone lacks; keep it all the same.
                let content = repo.find_blob(blob)?;
                let text = std::str::from_utf8(content.content()).map_err(|_| Error::Invalid {
                    path: note_path(commit),
                    reason: "the note is not UTF-8".into(),
                })?;
                repo.note(&sig, &sig, Some(NOTES_REF), commit, text, false)?;
                summary.fetched += 1;
            }
        }
    }
    // A merge commit: our tree, both histories.
    let tip = repo.find_commit(repo.refname_to_id(NOTES_REF)?)?;
    let theirs = repo.find_commit(other_tip)?;
    let tree = tip.tree()?;
    let merge = repo.commit(
        None,
        &sig,
        &sig,
        "smprof: merge notes",
        &tree,
        &[&tip, &theirs],
    )?;
    repo.reference(NOTES_REF, merge, true, "smprof: merge notes")?;
    Ok(summary)
}

/// The commits annotated by the notes commit `tip`.
fn list_ref_at(repo: &Repository, tip: Oid) -> Result<Vec<Oid>> {
    let name = "refs/smprof/scratch-list";
    repo.reference(name, tip, true, "smprof: scratch")?;
    let out = list_ref(repo, name).map(|v| v.into_iter().map(|(c, _)| c).collect());
    if let Ok(mut r) = repo.find_reference(name) {
        let _ = r.delete();
    }
    out
}

fn scratch_ref(remote: &str) -> String {
    let safe: String = remote
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("refs/smprof/fetched/{safe}")
}

/// A configured remote by name, or a URL or path used directly.
fn find_remote<'r>(repo: &'r Repository, remote: &str) -> Result<git2::Remote<'r>> {
    repo.find_remote(remote)
        .or_else(|_| repo.remote_anonymous(remote))
        .map_err(|e| Error::Git(format!("remote {remote:?}: {}", e.message())))
}

/// The configured identity, or smprof's own when git has none (CI machines).
fn signature(repo: &Repository) -> Result<git2::Signature<'static>> {
    match repo.signature() {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Ok(git2::Signature::now("smprof", "smprof@localhost")?),
    }
}
