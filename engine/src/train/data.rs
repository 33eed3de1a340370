//! A byte-level text corpus cut into random training windows.

use crate::error::{Error, Result};
use crate::rng::Rng;
use std::path::Path;

/// The bytes of a text; token id = byte value.
#[derive(Debug, Clone)]
pub struct ByteCorpus {
    bytes: Vec<u8>,
}

impl ByteCorpus {
    /// A corpus from bytes in memory.
    pub fn new(bytes: Vec<u8>) -> ByteCorpus {
        ByteCorpus { bytes }
    }

    /// Read a file.
    pub fn load(path: &Path) -> Result<ByteCorpus> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ByteCorpus { bytes })
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the corpus is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Fill `ids` and `targets` (cleared first) with `batch` windows of `seq`
    /// tokens and their next-token targets. The windows depend only on
    /// (`seed`, `step`), so a resumed run sees the same data as an unbroken one.
    pub fn batch(
        &self,
        seed: u64,
        step: u64,
        batch: usize,
        seq: usize,
        ids: &mut Vec<u32>,
        targets: &mut Vec<u32>,
    ) -> Result<()> {
        if self.bytes.len() < seq + 1 || seq == 0 || batch == 0 {
            return Err(Error::arg(
                "corpus",
                format!(
                    "{} bytes cannot give windows of {seq} tokens plus a target",
                    self.bytes.len()
                ),
            ));
        }
        let mut rng = Rng::new(seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        ids.clear();
        targets.clear();
        let starts = self.bytes.len() - seq;
        for _ in 0..batch {
            let s = rng.below(starts);
            ids.extend(self.bytes[s..s + seq].iter().map(|&b| b as u32));
            targets.extend(self.bytes[s + 1..s + seq + 1].iter().map(|&b| b as u32));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_shifted_by_one_and_reproducible() {
        let c = ByteCorpus::new(b"abcdefghijklmnop".to_vec());
        let (mut i, mut t) = (Vec::new(), Vec::new());
        c.batch(1, 5, 3, 4, &mut i, &mut t).unwrap();
        assert_eq!(i.len(), 12);
        for k in 0..12 {
            assert_eq!(t[k], i[k] + 1);
        }
        let (mut i2, mut t2) = (Vec::new(), Vec::new());
        c.batch(1, 5, 3, 4, &mut i2, &mut t2).unwrap();
        assert_eq!((&i, &t), (&i2, &t2));
        assert!(c.batch(1, 0, 1, 16, &mut i2, &mut t2).is_err());
    }
}
