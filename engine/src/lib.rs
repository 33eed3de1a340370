//! SmallMind: a pure-Rust tensor and transformer library.
//!
//! Layout (one concept a module):
//! - [`simd`]: CPU feature detection and the tier (`scalar`, `avx2`, `avx512`) every kernel dispatches on.
//! - [`pool`]: the buffer pool that makes steady-state work allocation-free.
//! - [`tensor`]: f32 row-major tensors of rank 0–4 whose storage comes from the pool.
//! - [`kernels`]: elementwise, broadcast, GELU, softmax, layer norm and reductions.
//! - [`matmul`]: the BLIS-style sgemm, gemv and batched tensor matmul.
//! - [`threads`]: the thread count (`SMALLMIND_THREADS`, [`threads::set_threads`]) and the team parallel kernels run on.
//! - [`tune`]: calibrating the engine for this CPU (the sgemm's tile and blocks, the decoder's prefetch).
//! - [`profile`]: per-op instrumentation (calls, time, bytes) that costs nothing when off.
//! - [`seed`]: seeded regressions (`seed-*` features, off by default) for the profiler's verdict-quality suite.

pub mod autograd;
pub mod error;
pub mod kernels;
pub mod matmul;
pub mod nn;
pub mod pool;
pub mod profile;
pub mod rng;
pub mod seed;
pub mod simd;
pub mod tensor;
pub mod threads;
pub mod train;
pub mod tune;

pub use error::{Error, Result};
pub use simd::Tier;
pub use tensor::Tensor;
