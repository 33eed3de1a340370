//! The environment fingerprint: the facts figures depend on (CPU, cores, SIMD
//! tier, threads, compiler, build profile), and a stable hash of them so that
//! `compare` can tell whether two results are comparable at all.

use crate::result::Env;

/// The compiler that built this binary (`rustc --version`, captured by build.rs).
pub const RUSTC_VERSION: &str = env!("SMPROF_RUSTC_VERSION");
/// The cargo profile this binary was built with (`release`, `dev`, …).
pub const BUILD_PROFILE: &str = env!("SMPROF_BUILD_PROFILE");

/// The environment of this process, with the engine running `simd_tier` on `threads` threads.
pub fn capture(simd_tier: &str, threads: u32) -> Env {
    let mut env = Env {
        cpu_model: cpu_model(),
        logical_cores: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
        simd_tier: simd_tier.to_string(),
        threads,
        os: os_name(),
        kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
        rustc: RUSTC_VERSION.to_string(),
        profile: BUILD_PROFILE.to_string(),
        fingerprint: String::new(),
    };
    env.fingerprint = fingerprint(&env);
    env
}

/// FNV-1a (64 bit) over the fields that make figures comparable: CPU model, logical
/// cores, SIMD tier, threads, compiler and build profile. OS and kernel are left out:
/// they are recorded for diagnosis but a kernel update must not make every old
/// result incomparable. Stable across platforms and releases (no `std` hasher).
pub fn fingerprint(env: &Env) -> String {
    let text = format!(
        "cpu={}\ncores={}\nsimd={}\nthreads={}\nrustc={}\nprofile={}",
        env.cpu_model, env.logical_cores, env.simd_tier, env.threads, env.rustc, env.profile
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `model name` from /proc/cpuinfo (Linux); the architecture elsewhere.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| parse_cpu_model(&text))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// The first `model name` line of a /proc/cpuinfo text.
pub fn parse_cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

/// `PRETTY_NAME` of /etc/os-release, else the OS family.
fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_is_parsed_and_fingerprint_ignores_kernel() {
        let info = "processor\t: 0\nmodel name\t: AMD EPYC 9B45\nflags\t: fpu\n";
        assert_eq!(parse_cpu_model(info).as_deref(), Some("AMD EPYC 9B45"));
        let a = capture("avx512", 1);
        let mut b = a.clone();
        b.kernel = "other".into();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b.threads = 2;
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(a.fingerprint.len(), 16);
    }
}
