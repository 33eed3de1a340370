//! What `compare` and `gate` share: configuration with overrides, both sides
//! from the store, calibrated floors, waivers, and the lockstep measurer of
//! both builds.

use crate::cli::{Cli, CompareSelection, ConfirmArgs};
use anyhow::Context;
use smprof::compare::Floors;
use smprof::compare::model::Comparison;
use smprof::config::Config;
use smprof::decision::Lockstep;
use smprof::gate::{calibration, waivers};
use smprof::store::{Resolved, Store};
use std::path::Path;

/// The configuration file with command-line overrides applied.
pub fn load_config(cli: &Cli, select: &CompareSelection) -> anyhow::Result<Config> {
    let mut config = Config::load_or_default(&cli.config)?;
    if let Some(a) = select.alpha {
        config.alpha = a;
    }
    if let Some(t) = select.threshold {
        config.threshold_pct = t;
    }
    config
        .validate()
        .map_err(|reason| anyhow::anyhow!("invalid --alpha/--threshold: {reason}"))?;
    Ok(config)
}

/// Both sides of a comparison from the store, of the same metric mode.
pub fn resolve_sides(
    store: &Store,
    select: &CompareSelection,
) -> anyhow::Result<(Resolved, Resolved)> {
    let baseline = store
        .resolve(&select.baseline)
        .with_context(|| format!("resolving --baseline {}", select.baseline))?;
    let current = match &select.current {
        Some(r) => store
            .resolve(r)
            .with_context(|| format!("resolving --current {r}"))?,
        None => store.resolve_head().context(
            "resolving the current side (default: the result for HEAD; run `smprof run` or pass --current)",
        )?,
    };
    smprof::compare::check_comparable(&baseline.result, &current.result)?;
    Ok((baseline, current))
}

/// Calibrated floors for the current side's environment, with a note saying
/// which calibration applied (or why none did).
pub fn floors_for(
    baselines: &Path,
    current: &Resolved,
) -> anyhow::Result<(Option<Floors>, String)> {
    let env = &current.result.env;
    if current.result.settings.metric_mode == "instructions" {
        return Ok((
            None,
            "instruction counts: plain tolerance, no noise floor".into(),
        ));
    }
    match calibration::load(baselines, &env.fingerprint)? {
        Some(file) => {
            let note = file.describe(&current.result.settings.mode);
            Ok((Some(file.floors()), note))
        }
        None => Ok((
            None,
            format!(
                "no calibrated noise floors for fingerprint {} (run `smprof calibrate`); thresholds from smprof.toml/defaults",
                env.fingerprint
            ),
        )),
    }
}

/// Evaluate the waivers of `config` against today's date and the current side's
/// commit.
pub fn waiver_statuses(
    store: &Store,
    config: &Config,
    current: &Resolved,
) -> Vec<waivers::WaiverStatus> {
    let today = smprof::timefmt::now_unix().div_euclid(86_400);
    let current_sha = current.result.commit.as_ref().map(|c| c.sha.clone());
    match store.repo() {
        Some(repo) => {
            let contains = waivers::git_contains(repo, current_sha.as_deref());
            waivers::evaluate(&config.waivers, today, &contains)
        }
        None => waivers::evaluate(&config.waivers, today, &|_| {
            Err("not in a git repository".to_string())
        }),
    }
}

/// Mark the regressions an active waiver covers; notes on ended waivers.
pub fn apply_waivers(
    store: &Store,
    config: &Config,
    current: &Resolved,
    cmp: &mut Comparison,
) -> Vec<String> {
    let statuses = waiver_statuses(store, config, current);
    waivers::apply(cmp, &statuses)
}

/// The lockstep measurer of both sides' builds: the given executables, else
/// this smprof for HEAD's result and the cached build of any other commit.
pub fn lockstep_for(
    store: &Store,
    confirm: &ConfirmArgs,
    baseline: &Resolved,
    current: &Resolved,
) -> anyhow::Result<Lockstep> {
    let this = std::env::current_exe().context("locating this smprof")?;
    let mut say = |s: &str| eprintln!("smprof: {s}");
    let need_repo = || {
        store.repo().context(
            "measuring both builds needs the git repository the results came from (or --baseline-exe and --current-exe, or --no-confirm)",
        )
    };
    let head = match store.repo() {
        Some(repo) => smprof::git::head_info(repo)?,
        None => None,
    };
    let opts = || store.repo().map(smprof::build::BuildOptions::smprof);
    let exe_for = |given: &Option<std::path::PathBuf>,
                   side: &Resolved,
                   what: &str,
                   say: &mut dyn FnMut(&str)|
     -> anyhow::Result<std::path::PathBuf> {
        if let Some(p) = given {
            return Ok(p.clone());
        }
        let repo = need_repo()?;
        let opts = opts().context("no build options without a repository")?;
        Ok(smprof::build::binaries::smprof_for(
            repo,
            &side.result,
            what,
            head.as_ref(),
            &this,
            &opts,
            say,
        )?)
    };
    let b = exe_for(&confirm.baseline_exe, baseline, "baseline", &mut say)?;
    let c = exe_for(&confirm.current_exe, current, "current", &mut say)?;
    let mut m = Lockstep::like(&current.result, b, c);
    m.commits = [
        baseline.result.commit.clone(),
        current.result.commit.clone(),
    ];
    if let Some(repo) = store.repo()
        && let Some(dir) = repo.workdir()
    {
        m.repo_dir = Some(dir.to_path_buf());
    }
    Ok(m)
}

/// A lockstep measurer whose binaries are resolved (and the baseline built) at
/// the first measurement: nothing is built when nothing needs measuring.
pub struct LazyLockstep<'a> {
    pub store: &'a Store,
    pub confirm: &'a ConfirmArgs,
    pub baseline: &'a Resolved,
    pub current: &'a Resolved,
    inner: Option<Lockstep>,
}

impl<'a> LazyLockstep<'a> {
    pub fn new(
        store: &'a Store,
        confirm: &'a ConfirmArgs,
        baseline: &'a Resolved,
        current: &'a Resolved,
    ) -> Self {
        LazyLockstep {
            store,
            confirm,
            baseline,
            current,
            inner: None,
        }
    }
}

impl smprof::decision::PairMeasurer for LazyLockstep<'_> {
    fn measure(
        &mut self,
        workloads: &[String],
        rounds: u32,
    ) -> smprof::Result<(smprof::result::RunResult, smprof::result::RunResult)> {
        if self.inner.is_none() {
            let m = lockstep_for(self.store, self.confirm, self.baseline, self.current).map_err(
                |e| smprof::Error::Other {
                    what: "preparing both builds for a lockstep measurement".into(),
                    reason: format!("{e:#}"),
                },
            )?;
            self.inner = Some(m);
        }
        let inner = self.inner.as_mut().expect("set above");
        inner.measure(workloads, rounds)
    }
}
