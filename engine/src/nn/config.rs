//! GPT-2 hyper-parameters, the named configurations, and `config.json`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

fn default_true() -> bool {
    true
}

fn default_eps() -> f32 {
    1e-5
}

/// The shape of a GPT-2. Reads Hugging Face's `config.json` (other keys are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gpt2Config {
    /// Width of the residual stream (C).
    pub n_embd: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Number of attention heads (C must divide by it).
    pub n_head: usize,
    /// Context length: the number of learned positions.
    pub n_positions: usize,
    /// Vocabulary size (256 for byte-level models).
    pub vocab_size: usize,
    /// Whether the LM head shares the token embedding (no `lm_head.weight` stored).
    #[serde(default = "default_true")]
    pub tie_word_embeddings: bool,
    /// Layer norm ε.
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f32,
}

impl Gpt2Config {
    /// `small`: n_embd 128, 2 layers, 4 heads, context 64, bytes, untied head (470,528 parameters).
    pub fn small() -> Gpt2Config {
        Gpt2Config {
            n_embd: 128,
            n_layer: 2,
            n_head: 4,
            n_positions: 64,
            vocab_size: 256,
            tie_word_embeddings: false,
            layer_norm_epsilon: 1e-5,
        }
    }

    /// `medium`: n_embd 256, 4 layers, 8 heads, context 512, bytes, untied head (3,421,696 parameters).
    pub fn medium() -> Gpt2Config {
        Gpt2Config {
            n_embd: 256,
            n_layer: 4,
            n_head: 8,
            n_positions: 512,
            ..Gpt2Config::small()
        }
    }

    /// A named configuration: `small` or `medium`.
    pub fn named(name: &str) -> Result<Gpt2Config> {
        match name {
            "small" => Ok(Gpt2Config::small()),
            "medium" => Ok(Gpt2Config::medium()),
            other => Err(Error::arg(
                "Gpt2Config::named",
                format!("unknown config {other:?} (expected small or medium)"),
            )),
        }
    }

    /// Refuse shapes that cannot be built.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::arg("Gpt2Config", reason));
        if self.n_embd == 0 || self.n_layer == 0 || self.n_head == 0 {
            return bad(format!(
                "n_embd {}, n_layer {} and n_head {} must be positive",
                self.n_embd, self.n_layer, self.n_head
            ));
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return bad(format!(
                "n_embd {} is not a multiple of n_head {}",
                self.n_embd, self.n_head
            ));
        }
        if self.n_positions == 0 || self.vocab_size == 0 || self.vocab_size > u32::MAX as usize {
            return bad(format!(
                "n_positions {} and vocab_size {} must be positive",
                self.n_positions, self.vocab_size
            ));
        }
        if self.layer_norm_epsilon.is_nan() || self.layer_norm_epsilon <= 0.0 {
            return bad(format!(
                "layer_norm_epsilon {} must be positive",
                self.layer_norm_epsilon
            ));
        }
        Ok(())
    }

    /// Number of parameters this configuration has.
    pub fn param_count(&self) -> usize {
        let (c, v, p) = (self.n_embd, self.vocab_size, self.n_positions);
        let block = 2 * c
            + (c * 3 * c + 3 * c)
            + (c * c + c)
            + 2 * c
            + (c * 4 * c + 4 * c)
            + (4 * c * c + c);
        let head = if self.tie_word_embeddings { 0 } else { v * c };
        v * c + p * c + self.n_layer * block + 2 * c + head
    }

    /// Read `config.json` (as transformers writes it).
    pub fn load(path: &Path) -> Result<Gpt2Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
                path: path.to_path_buf(),
                reason: format!("not valid JSON: {e}"),
            })?;
        if let Some(act) = value.get("activation_function").and_then(|a| a.as_str())
            && !matches!(act, "gelu_new" | "gelu_pytorch_tanh")
        {
            return Err(Error::Checkpoint {
                path: path.to_path_buf(),
                reason: format!(
                    "activation_function {act:?} is not supported (the engine computes gelu_new)"
                ),
            });
        }
        let cfg: Gpt2Config = serde_json::from_value(value).map_err(|e| Error::Checkpoint {
            path: path.to_path_buf(),
            reason: format!("not a GPT-2 config: {e}"),
        })?;
        cfg.validate().map_err(|e| Error::Checkpoint {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// `config.json` text in the form transformers reads.
    pub fn to_json(&self) -> String {
        let v = serde_json::json!({
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "activation_function": "gelu_new",
            "n_embd": self.n_embd,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_positions": self.n_positions,
            "vocab_size": self.vocab_size,
            "tie_word_embeddings": self.tie_word_embeddings,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        });
        // Cannot fail: a json! value always serialises.
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_configs_have_the_documented_sizes() {
        assert_eq!(Gpt2Config::small().param_count(), 470_528);
        assert_eq!(Gpt2Config::medium().param_count(), 3_421_696);
        assert!(Gpt2Config::named("large").is_err());
    }

    #[test]
    fn validation() {
        let mut c = Gpt2Config::small();
        c.n_head = 3;
        assert!(c.validate().unwrap_err().to_string().contains("multiple"));
    }
}
