//! Workload inputs and outputs, each starting on a page.
//!
//! Why: where the allocator puts a buffer depends on everything the process
//! allocated before, down to the length of the executable's path, and a kernel's
//! speed depends on that placement (a vector load split over two cache lines, two
//! streams 4 KiB apart aliasing in the store buffer). The same binary copied to a
//! longer path measured gelu/10k 4–8 % slower in lockstep: a verdict about the
//! path, not the code. On a page boundary every buffer sits the same way in every
//! build and process, so a comparison sees only what the code changed.

use aligned_vec::{AVec, ConstAlign};

/// The alignment of every workload buffer, in bytes (one 4 KiB page).
pub const PAGE: usize = 4096;

/// A page-aligned buffer of floats.
pub type Floats = AVec<f32, ConstAlign<PAGE>>;

/// A page-aligned buffer holding `values`.
pub fn floats(values: impl IntoIterator<Item = f32>) -> Floats {
    Floats::from_iter(PAGE, values)
}

/// A page-aligned buffer of `n` zeros.
pub fn zeros(n: usize) -> Floats {
    floats(std::iter::repeat_n(0.0, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_start_on_a_page_and_hold_their_values() {
        for n in [1, 15, 1000, 10_000, 1 << 20] {
            let z = zeros(n);
            assert_eq!(z.len(), n);
            assert_eq!(z.as_ptr() as usize % PAGE, 0, "n = {n}");
            assert!(z.iter().all(|&v| v == 0.0));
            let v = floats((0..n).map(|i| i as f32));
            assert_eq!(v.as_ptr() as usize % PAGE, 0, "n = {n}");
            assert_eq!(v[n - 1], (n - 1) as f32);
        }
    }
}
