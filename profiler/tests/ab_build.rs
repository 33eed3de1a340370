//! Building commits in temporary worktrees, A/B measurement and bisect end to end,
//! on a throwaway repository holding a tiny crate whose binary speaks smprof's
//! `run --out FILE` protocol and reports a per-commit cost.

use crate::history_support;

use smprof::build::ab::{AbOptions, ab, build_side};
use smprof::build::{BuildOptions, Built, build};
use smprof::compare::model::VerdictKind;
use smprof::history::bisect::{BuildProber, Outcome, bisect, first_parent_range};
use std::path::Path;

const MAIN: &str = r###"
mod cost;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert_eq!(args[1], "run");
    let arg = |k: &str| args.iter().position(|a| a == k).map(|i| args[i + 1].clone());
    let out = arg("--out").expect("--out");
    let n: usize = arg("--samples").map_or(5, |s| s.parse().unwrap());
    let seed = std::process::id() as f64;
    let samples: Vec<String> = (0..n)
        .map(|i| format!("{}", cost::COST * (1.0 + 0.002 * (((i as f64 + seed) * 7.3).sin()))))
        .collect();
    let med = cost::COST;
    let json = format!(r##"{{"schema_version":1,"tool":{{"name":"smprof","version":"0"}},"created_at":"2026-11-21T00:00:00Z","commit":null,
"env":{{"cpu_model":"x","logical_cores":2,"simd_tier":"scalar","threads":1,"os":"linux","kernel":"6","rustc":"1","profile":"release","fingerprint":"f"}},
"settings":{{"mode":"custom","processes":1,"samples_per_process":{n},"suites":["code"],"filter":null,"metric_mode":"time"}},
"durations_s":{{"code":0.1}},
"workloads":[{{"name":"matmul/64","suite":"code","group":"matmul","metrics":{{"time_ns":{{"unit":"ns","better":"lower","kind":"sampled","samples":[{s}],
"summary":{{"n":{n},"median":{med},"mean":{med},"stddev":0.0,"min":{med},"max":{med},"mad":0.0,"ci95":[{med},{med}],"outliers":0}}}}}}}}]}}"##, s = samples.join(","));
    std::fs::write(out, json).unwrap();
}
"###;

fn commit_all(repo: &git2::Repository, msg: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Tester", "t@example.invalid").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)
        .unwrap()
}

/// c0, c1: cost 100; c2: cost 130 (the regression); c3: does not compile; c4: cost 130.
fn fake_repo(dir: &Path) -> (git2::Repository, Vec<git2::Oid>) {
    let repo = git2::Repository::init(dir).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join(".gitignore"), "/target\nCargo.lock\n").unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"fakeprof\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[profile.release]\nopt-level = 0\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
    let mut ids = Vec::new();
    for (i, body) in [
        "pub const COST: f64 = 100.0;",
        "pub const COST: f64 = 100.0; // tidy",
        "pub const COST: f64 = 130.0;",
        "pub const COST: f64 = 130.0 +;",
        "pub const COST: f64 = 130.0; // fixed build",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(dir.join("src/cost.rs"), format!("{body}\n")).unwrap();
        ids.push(commit_all(&repo, &format!("change {i}")));
    }
    (repo, ids)
}

fn options(repo: &git2::Repository, dir: &Path) -> AbOptions {
    AbOptions {
        filter: None,
        // Enough for the paired round-by-round test to reach α = 0.01 (2/2¹⁰).
        rounds: 10,
        samples: 5,
        instructions: false,
        build: BuildOptions {
            package: "fakeprof".into(),
            bin: "fakeprof".into(),
            cache_dir: smprof::build::default_cache_dir(repo),
            verbose: false,
        },
        workdir: dir.to_path_buf(),
    }
}

#[test]
fn builds_in_a_temporary_worktree_then_measures_ab_and_bisects() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let (repo, ids) = fake_repo(&dir);
    let opts = options(&repo, &dir);

    // A build leaves a cached binary and no worktree, branch or checkout behind.
    let first = build(&repo, &ids[0].to_string(), &opts.build).unwrap();
    let Built::Ok {
        binary,
        cached: false,
        ..
    } = first
    else {
        panic!("{first:?}")
    };
    assert!(binary.is_file());
    assert!(repo.worktrees().unwrap().is_empty());
    assert!(
        repo.branches(None).unwrap().all(|b| !b
            .unwrap()
            .0
            .name()
            .unwrap()
            .unwrap()
            .starts_with("smprof/"))
    );
    let wt_dir = opts.build.cache_dir.join("worktrees");
    assert_eq!(std::fs::read_dir(&wt_dir).unwrap().count(), 0);
    assert!(matches!(
        build(&repo, &ids[0].to_string(), &opts.build).unwrap(),
        Built::Ok { cached: true, .. }
    ));

    // A commit that does not compile is an outcome with cargo's message, and cleans up too.
    let broken = build(&repo, &ids[3].to_string(), &opts.build).unwrap();
    let Built::Failed { log_tail, .. } = broken else {
        panic!("{broken:?}")
    };
    assert!(log_tail.contains("error"), "{log_tail}");
    assert!(repo.worktrees().unwrap().is_empty());

    // A/B: interleaved rounds merged per side, compared as compare does.
    let out = ab(
        &repo,
        &ids[0].to_string(),
        &ids[2].to_string(),
        &opts,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(out.base.result.settings.processes, 10);
    let m = &out.head.result.workloads[0].metrics["time_ns"];
    assert_eq!(m.samples.as_ref().unwrap().len(), 50);
    assert_eq!(m.process.as_ref().unwrap()[49], 9);
    // The two sides pair round by round.
    assert!(out.base.result.settings.pairing.is_some());
    assert_eq!(
        out.base.result.settings.pairing,
        out.head.result.settings.pairing
    );
    assert_eq!(
        out.head.result.commit.as_ref().unwrap().sha,
        ids[2].to_string()
    );
    let cmp = smprof::compare_workflow::compare(&out.base, &out.head, &Default::default(), None);
    let v = cmp.verdicts.iter().find(|v| v.metric == "time_ns").unwrap();
    assert_eq!(v.verdict, VerdictKind::Regression, "{v:?}");
    assert!((v.change - 0.30).abs() < 0.01);

    // Bisect c0..c4 (c3 does not build): the regression is c2.
    let range = first_parent_range(&repo, &ids[0].to_string(), &ids[4].to_string()).unwrap();
    let good = build_side(&repo, &ids[0].to_string(), &opts.build, &mut |_| {}).unwrap();
    let store = smprof::store::Store::with_repo(
        &dir.join("baselines"),
        Some(git2::Repository::open(&dir).unwrap()),
    );
    let mut prober = BuildProber {
        repo: &repo,
        good,
        opts: opts.clone(),
        workload: "matmul/64".into(),
        metric: "time_ns".into(),
        config: Default::default(),
        floors: None,
        store: Some(&store),
        lockstep: false,
        builds: 1,
        progress: Box::new(|_| {}),
    };
    // A full result of the first bad commit: bisect's one-workload probe of it
    // must not replace it.
    let mut full = out.head.result.clone();
    let mut second = full.workloads[0].clone();
    second.name = "matmul/128".into();
    full.workloads.push(second);
    store.save(&full, smprof::store::Replace::Always).unwrap();
    let outcome = bisect(&range, &mut prober, &mut |_| {}).unwrap();
    let Outcome::Found {
        first_bad, step, ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(first_bad.sha, ids[2].to_string());
    assert!((step - 0.30).abs() < 0.01, "{step}");
    assert!(prober.builds <= 4, "{} builds for 5 commits", prober.builds);
    // Measured candidates are kept as probes, apart from the commits' results.
    let kept = store.resolve(&ids[2].to_string()).unwrap().result;
    assert_eq!(
        kept.workloads.len(),
        2,
        "the full result is still the commit's"
    );
    let probes: Vec<String> = std::fs::read_dir(dir.join("baselines/probes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        probes
            .iter()
            .any(|p| p.starts_with(&format!("{}-time-", ids[2]))),
        "{probes:?}"
    );
    assert!(
        store.resolve(&ids[1].to_string()).is_err(),
        "a probe is not a result"
    );
}

#[test]
fn worktrees_left_by_a_dead_process_are_removed_by_the_next_build() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let (repo, ids) = history_support::repo_with_commits(&dir, 2);
    // What a SIGKILLed smprof (pid 999999999 cannot exist on Linux) leaves behind.
    let name = "smprof-0000000000-999999999-0";
    let c = repo.find_commit(ids[0]).unwrap();
    let branch = repo
        .branch(&format!("smprof/tmp-{name}"), &c, true)
        .unwrap();
    let mut opts = git2::WorktreeAddOptions::new();
    opts.reference(Some(branch.get()));
    let stale_dir = tmp.path().join(name);
    repo.worktree(name, &stale_dir, Some(&opts)).unwrap();
    drop(branch);
    {
        let wt =
            smprof::build::worktree::TempWorktree::create(&repo, ids[1], &tmp.path().join("wts"))
                .unwrap();
        assert!(wt.dir().join("file.txt").is_file());
        let names = repo.worktrees().unwrap();
        assert_eq!(
            names.len(),
            1,
            "only the new worktree: {:?}",
            names.iter().collect::<Vec<_>>()
        );
        assert!(!stale_dir.exists());
    }
    assert!(repo.worktrees().unwrap().is_empty());
    assert!(
        repo.find_branch(&format!("smprof/tmp-{name}"), git2::BranchType::Local)
            .is_err()
    );
}
