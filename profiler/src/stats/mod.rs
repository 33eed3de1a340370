//! Statistics, hand-written: summaries, bootstrap, rank tests, FDR control,
//! multimodality and change points.

pub mod bh;
pub mod bootstrap;
pub mod edivisive;
pub mod hierarchical;
pub mod mann_whitney;
pub mod modality;
pub mod normal;
pub mod rng;
pub mod summary;
pub mod ttest;
pub mod wilcoxon;
