//! How a product's tiles are cut into the chunks that threads claim.

/// How many chunks `parts` threads share `tiles` tiles in: about three per thread (a
/// multiple of the threads), so that a thread the OS delays costs little, but none
/// narrower than two tiles. Column chunks each re-read all of A, and a narrower chunk
/// reuses each A micro-panel for fewer B micro-panels, so they are none narrower than
/// one B block (`nc` columns) when there are enough columns for a block per thread, and
/// one per thread when A does not fit in L2 (`a_past_l2`: every re-read then comes from
/// L3). Measured on 2
/// threads, the other core free, the two counts alternated in 3 runs of 41 rounds: 1024³
/// (A 4 MiB, NC 1024) ran 0.89–0.94× `gemm` in 6 chunks and 0.97–1.00× in 2; 512³
/// (A 1 MiB) was no faster in 2 (0.88–0.99× against 0.97–1.00×); at 256³, 4 chunks
/// of 2 tiles beat 6 of 1–2 in 3 runs of 3.
pub(super) fn chunk_count(
    parts: usize,
    tiles: usize,
    split_cols: bool,
    n: usize,
    nc: usize,
    a_past_l2: bool,
) -> usize {
    if parts <= 1 {
        return 1;
    }
    let chunks = (3 * parts).min((tiles / 2).max(parts)).min(tiles);
    let chunks = if !split_cols {
        chunks
    } else if n >= parts * nc {
        chunks.min((n / nc).max(parts))
    } else if a_past_l2 {
        chunks.min(parts)
    } else {
        chunks
    };
    // Whole rounds of near-equal chunks: three chunks on two threads leave one thread the
    // last alone (1024³ with NC 320 on the Zen 5: 1.48–1.51× one thread, `gemm` 1.99×).
    if chunks >= parts {
        chunks / parts * parts
    } else {
        chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_three_per_thread_but_not_narrower_than_a_b_block() {
        assert_eq!(chunk_count(1, 32, true, 1024, 512, false), 1);
        // 1024 columns, NC = 512, 2 threads: one B block per chunk.
        assert_eq!(chunk_count(2, 32, true, 1024, 512, false), 2);
        assert_eq!(chunk_count(2, 64, true, 2048, 512, true), 4);
        // Too few columns for a block per thread, or a row split: three per thread.
        assert_eq!(chunk_count(2, 16, true, 512, 512, false), 6);
        assert_eq!(chunk_count(2, 256, false, 1024, 512, true), 6);
        // ... unless column chunks would each re-read an A that L2 cannot hold.
        assert_eq!(chunk_count(2, 32, true, 1024, 1024, true), 2);
        assert_eq!(chunk_count(2, 32, true, 1024, 1024, false), 6);
        // Three B blocks on two threads: two chunks, not three.
        assert_eq!(chunk_count(2, 32, true, 1024, 320, true), 2);
        assert_eq!(chunk_count(2, 10, false, 320, 512, false), 4);
        // No chunk narrower than two tiles, unless there are too few tiles per thread.
        assert_eq!(chunk_count(2, 8, true, 256, 512, false), 4);
        assert_eq!(chunk_count(3, 4, true, 128, 512, false), 3);
        assert_eq!(chunk_count(3, 2, false, 100, 512, false), 2);
    }
}
