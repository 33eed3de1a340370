//! Capture facts about the build: the compiler version and the cargo profile for
//! the result's environment fingerprint, and the manifest of the sources the
//! binary is built from (`src/git/source_set.rs`), so that `smprof run` can refuse
//! to save figures of old code under a newer commit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "src/git/source_set.rs"]
mod source_set;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SMPROF_RUSTC_VERSION={version}");
    // PROFILE is `release` or `debug`; name the dev profile as cargo users know it.
    let profile = match std::env::var("PROFILE").as_deref() {
        Ok("debug") => "dev".to_string(),
        Ok(p) => p.to_string(),
        Err(_) => "unknown".into(),
    };
    println!("cargo:rustc-env=SMPROF_BUILD_PROFILE={profile}");
    println!("cargo:rerun-if-env-changed=RUSTC");
    println!("cargo:rerun-if-changed=build.rs");

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir.parent().unwrap_or(&manifest_dir).to_path_buf();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    // Directories are scanned recursively by cargo: any change reruns this script.
    for r in source_set::ROOTS {
        if root.join(r).exists() {
            println!("cargo:rerun-if-changed={}", root.join(r).display());
        }
    }
    // An empty manifest file plus the reason when the sources cannot be hashed:
    // `run` then says it cannot verify the build instead of guessing.
    let (text, problem) = match manifest(&root) {
        Ok(text) => (text, String::new()),
        Err(reason) => (String::new(), reason),
    };
    // Read by src/git/source.rs (`include_str!`).
    std::fs::write(out.join("source-manifest.txt"), text).expect("writing OUT_DIR");
    println!(
        "cargo:rustc-env=SMPROF_SOURCE_PROBLEM={}",
        problem.replace('\n', " ")
    );
}

/// The manifest of the files under `root`, each hashed as git hashes a blob
/// (`git hash-object`, no filters: the same id a commit's tree records).
fn manifest(root: &Path) -> Result<String, String> {
    let files = source_set::files_on_disk(root).map_err(|e| format!("listing sources: {e}"))?;
    if files.is_empty() {
        return Err(format!("no sources found under {}", root.display()));
    }
    let mut child = Command::new("git")
        .args(["hash-object", "--no-filters", "--stdin-paths"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running git hash-object: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let paths: String = files.iter().map(|f| format!("{f}\n")).collect();
    // Written from a thread: git answers line by line and could fill stdout first.
    let writer = std::thread::spawn(move || stdin.write_all(paths.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("running git hash-object: {e}"))?;
    writer
        .join()
        .map_err(|_| "writing to git hash-object".to_string())?
        .map_err(|e| format!("writing to git hash-object: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git hash-object failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let ids: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    if ids.len() != files.len() || ids.iter().any(|id| id.len() != 40) {
        return Err(format!(
            "git hash-object gave {} ids for {} files",
            ids.len(),
            files.len()
        ));
    }
    let entries: Vec<(String, String)> = ids.into_iter().zip(files).collect();
    Ok(source_set::manifest_text(&entries))
}
