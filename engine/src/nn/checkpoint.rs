//! Checkpoints: `config.json` plus `model.safetensors` with GPT-2's tensor names.
//!
//! Loading accepts names with or without the `transformer.` prefix, ignores
//! tensors GPT-2 does not use (old `attn.bias` mask buffers), and refuses a
//! tensor whose shape does not fit the config, naming both shapes. Saving
//! writes each file to a temporary name and renames it, so an interrupted
//! save never leaves a half-written checkpoint.

use super::config::Gpt2Config;
use super::gpt2::Gpt2;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::path::{Path, PathBuf};

/// The weights file inside a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The config file inside a checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, then rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp: PathBuf = dir.join(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// Read the safetensors file at `path` into (name → f32 tensor) lookups.
pub(crate) fn read_tensors(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io(path))
}

/// Look `name` up with or without the `transformer.` prefix.
fn find<'a>(st: &SafeTensors<'a>, name: &str) -> Option<TensorView<'a>> {
    let bare = name.strip_prefix("transformer.").unwrap_or(name);
    st.tensor(name)
        .or_else(|_| st.tensor(bare))
        .or_else(|_| st.tensor(&format!("transformer.{bare}")))
        .ok()
}

/// Copy a stored f32 tensor into `dst`, checking its dtype and shape.
pub(crate) fn copy_into(
    path: &Path,
    name: &str,
    view: &TensorView<'_>,
    dst: &mut Tensor,
) -> Result<()> {
    if view.dtype() != Dtype::F32 {
        return Err(bad(
            path,
            format!("tensor {name}: dtype {:?}, expected F32", view.dtype()),
        ));
    }
    if view.shape() != dst.dims() {
        return Err(bad(
            path,
            format!(
                "tensor {name}: the checkpoint has shape {:?} but the config expects {:?}",
                view.shape(),
                dst.dims()
            ),
        ));
    }
    for (d, b) in dst.data_mut().iter_mut().zip(view.data().chunks_exact(4)) {
        *d = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    Ok(())
}

/// f32 tensors as little-endian bytes, for serialisation.
pub(crate) struct F32View {
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl F32View {
    pub(crate) fn new(t: &Tensor) -> F32View {
        F32View {
            shape: t.dims().to_vec(),
            bytes: t.data().iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

impl safetensors::View for F32View {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Serialise named tensors to safetensors bytes.
pub(crate) fn serialize(tensors: Vec<(String, F32View)>, path: &Path) -> Result<Vec<u8>> {
    safetensors::serialize(tensors, None).map_err(|e| bad(path, format!("cannot serialise: {e}")))
}

impl Gpt2 {
    /// Load a checkpoint directory (`config.json`, `model.safetensors`).
    pub fn load(dir: &Path) -> Result<Gpt2> {
        let config = Gpt2Config::load(&dir.join(CONFIG_FILE))?;
        let wpath = dir.join(WEIGHTS_FILE);
        let bytes = read_tensors(&wpath)?;
        let st = SafeTensors::deserialize(&bytes)
            .map_err(|e| bad(&wpath, format!("not a safetensors file: {e}")))?;
        let mut model = Gpt2::build(config, |shape, _| Tensor::zeros(shape))?;
        for (name, var) in model.named_params() {
            let view =
                find(&st, &name).ok_or_else(|| bad(&wpath, format!("tensor {name} is missing")))?;
            copy_into(&wpath, &name, &view, model.graph.value_mut(var))?;
        }
        Ok(model)
    }

    /// Save to a checkpoint directory (created if needed), atomically per file.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let wpath = dir.join(WEIGHTS_FILE);
        let tensors = self
            .named_params()
            .into_iter()
            .map(|(n, v)| (n, F32View::new(self.graph.value(v))))
            .collect();
        let bytes = serialize(tensors, &wpath)?;
        write_atomic(&wpath, &bytes)?;
        write_atomic(&dir.join(CONFIG_FILE), self.config().to_json().as_bytes())
    }
}
