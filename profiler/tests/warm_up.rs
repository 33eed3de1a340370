//! The instructions pass counts the `run` that follows one `warm_up`: for every
//! workload that `run` must be in steady state, or the count would include
//! first-use work (pool misses, a larger buffer) that the next call skips.
//! One test in its own process: the pool's counters are global.

use smprof::workloads::catalogue;

#[test]
fn run_after_warm_up_rents_every_buffer_from_the_pool() {
    // The cache-derived blocking, whatever calibration this machine holds.
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("SMALLMIND_SGEMM_TUNING", "off") };
    // One engine thread, as the instructions pass runs (`measure::callgrind`):
    // with more, which thread rents which buffer varies from call to call.
    smallmind::threads::set_threads(1).unwrap();
    let pool = smallmind::pool::global();
    pool.set_enabled(true);
    let mut checked = Vec::new();
    for def in catalogue() {
        let mut w = (def.setup)().unwrap_or_else(|e| panic!("{}: setup: {e}", def.name));
        w.warm_up()
            .unwrap_or_else(|e| panic!("{}: warm_up: {e}", def.name));
        let before = pool.stats();
        w.run().unwrap_or_else(|e| panic!("{}: run: {e}", def.name));
        let d = pool.stats().since(&before);
        assert_eq!(
            d.misses, 0,
            "{}: the run after warm_up missed the pool {} times ({} bytes allocated)",
            def.name, d.misses, d.bytes_allocated
        );
        checked.push(def.name);
    }
    assert!(checked.contains(&"matmul/1024"), "{checked:?}");
}
