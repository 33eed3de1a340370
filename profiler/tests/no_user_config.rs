// Tests read nothing outside the repository, git's configuration included: libgit2, in
// this process and in every `smprof` it starts, reads the user's `~/.gitconfig` (where
// `init.defaultBranch = trunk` renamed the branch the notes tests push) and the system's
// `/etc/gitconfig`. Before any test runs, this points `HOME` and `XDG_CONFIG_HOME` at a
// directory that does not exist, sets `GIT_CONFIG_NOSYSTEM` (which `smprof` honours, as
// git does), and clears the system search path of this process's libgit2.

/// Where `HOME` points: a directory that does not exist, inside the repository.
const NO_HOME: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-home");

// SAFETY (of running before main): the body only sets environment variables and calls
// libgit2 while this is the only thread, and does not panic.
#[ctor::ctor(unsafe)]
fn no_user_config() {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    // SAFETY: before main, so no other thread reads the environment or libgit2's options.
    unsafe {
        // Tests build with cargo, which finds its toolchain from HOME unless told.
        if let Some(home) = home {
            for (var, dir) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
                if std::env::var_os(var).is_none() {
                    std::env::set_var(var, home.join(dir));
                }
            }
        }
        std::env::set_var("HOME", NO_HOME);
        std::env::set_var("XDG_CONFIG_HOME", NO_HOME);
        std::env::set_var("GIT_CONFIG_NOSYSTEM", "1");
        // An error here leaves the system level as it was; the test below then fails.
        let _ = git2::opts::set_search_path(git2::ConfigLevel::System, "");
    }
}

/// The isolation above is in force: libgit2 finds no configuration file at all.
#[test]
fn git_reads_no_configuration_outside_the_repository() {
    assert!(
        !std::path::Path::new(NO_HOME).exists(),
        "{NO_HOME} must not exist"
    );
    for level in [
        git2::ConfigLevel::System,
        git2::ConfigLevel::Global,
        git2::ConfigLevel::XDG,
    ] {
        // SAFETY: reading an option; no test sets one.
        let path = unsafe { git2::opts::get_search_path(level) }.unwrap();
        let path = path.to_str().unwrap();
        assert!(
            path.is_empty() || path.starts_with(NO_HOME),
            "{level:?} configuration searched in {path}"
        );
    }
    assert!(git2::Config::find_global().is_err());
    assert!(git2::Config::find_system().is_err());
    assert!(git2::Config::find_xdg().is_err());
}
