//! Capture facts about the build for the result's environment fingerprint:
//! the compiler version and the cargo profile the binary was built with.

use std::process::Command;

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
}
