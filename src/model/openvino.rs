//! The OpenVINO backend: the same ONNX files, run by OpenVINO's CPU plugin.
//!
//! Why a second runtime: for the 80x80 Silent-Face classifiers OpenVINO's CPU kernels are several times
//! faster than ONNX Runtime's at f32, within float rounding of it (`liveness bench` and
//! `scripts/compare-reference.sh` measure both). The library is loaded at run time (`openvino` crate,
//! `runtime-linking`), as ONNX Runtime is: `scripts/setup.sh` unpacks it from the PyPI `openvino` wheel into
//! `.openvino/lib/`, nothing is fetched at build time. Every network is compiled for one thread, one stream,
//! f32 inference precision (never the CPU plugin's bf16 default on CPUs that have bf16 units, which would
//! silently change scores), without core pinning; parallelism comes from the workers, as with ONNX Runtime.
//!
//! Compiling a network costs far more than with ONNX Runtime (0.6-1 s for an 80x80 MiniFASNet on this
//! machine), so each network is compiled once per process with one CPU stream per core and shared by all
//! workers, each of which gets its own inference request. (OpenVINO's model cache, `CACHE_DIR`, was tried:
//! it saved nothing measurable here, 0.70 s against 0.67 s of CPU for a one-image run, as reading the ONNX
//! file and hashing the model still happen; so it is not used.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result, anyhow, bail};
use openvino::{
    CompiledModel, Core, DeviceType, Dimension, ElementType, InferRequest, PartialShape, RwPropertyKey, Shape, Tensor,
};

use super::descriptor::Precision;
use super::session::Outlets;

/// The OpenVINO release `scripts/setup.sh` installs.
pub const OV_VERSION: &str = "2026.4.1";
const LOCAL_DIR: &str = ".openvino/lib";
const LIB_NAME: &str = "libopenvino_c.so";

fn hint(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "f32",
        Precision::Bf16 => "bf16",
    }
}

/// One process-wide Core (it owns the loaded plugins); compiling needs `&mut`, running does not touch it.
static CORE: OnceLock<std::result::Result<Mutex<Core>, String>> = OnceLock::new();

fn core() -> Result<&'static Mutex<Core>> {
    match CORE.get_or_init(|| load().map_err(|e| format!("{e:#}"))) {
        Ok(c) => Ok(c),
        Err(msg) => Err(anyhow!("{msg}")),
    }
}

fn load() -> Result<Mutex<Core>> {
    let mut tried = Vec::new();
    for (origin, path) in crate::runtime::candidates("OPENVINO_DYLIB_PATH", LOCAL_DIR, LIB_NAME) {
        let is_bare = path.parent().is_none_or(|p| p.as_os_str().is_empty());
        if !is_bare && !path.exists() {
            tried.push(format!("  {} ({origin}): not found", path.display()));
            continue;
        }
        match openvino_sys::library::load_from(path.clone()) {
            Ok(()) => {
                let mut core = Core::new()
                    .map_err(|e| anyhow!("OpenVINO loaded from {} but could not start: {e}", path.display()))?;
                // One stream of one thread per core: a request runs single-threaded, requests of different
                // workers run side by side.
                let streams = streams().to_string();
                let props = [
                    (RwPropertyKey::InferenceNumThreads, streams.as_str()),
                    (RwPropertyKey::NumStreams, streams.as_str()),
                    (RwPropertyKey::HintEnableCpuPinning, "NO"),
                ];
                core.set_properties(&DeviceType::CPU, props)
                    .map_err(|e| anyhow!("OpenVINO CPU plugin settings: {e}"))?;
                return Ok(Mutex::new(core));
            }
            Err(e) => tried.push(format!("  {} ({origin}): {e}", path.display())),
        }
    }
    bail!(
        "OpenVINO {OV_VERSION} not found or not loadable (needed by --backend openvino). Tried:\n{}\n\
         Fix: run `bash scripts/setup.sh` in the liveness checkout (it unpacks {LIB_NAME} and the CPU plugin from \
         the PyPI openvino=={OV_VERSION} wheel into {LOCAL_DIR}/), point OPENVINO_DYLIB_PATH at a {LIB_NAME} of \
         version >= 2025.1, or use --backend ort.",
        tried.join("\n")
    )
}

/// Streams per compiled network: the cores this process may use (at most 8: each stream holds a copy of the
/// network's buffers).
fn streams() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// A network compiled once per process, with what was read from its file.
struct Compiled {
    model: Mutex<CompiledModel>,
    inputs: Outlets,
    outputs: Outlets,
}

type Key = (PathBuf, String, usize, Precision);

/// Compiled networks of this process by (file, input name, batch bound, precision).
static COMPILED: OnceLock<Mutex<HashMap<Key, Arc<Compiled>>>> = OnceLock::new();

/// A worker's inference request on a shared compiled network.
pub struct OvNet {
    request: InferRequest,
    /// Kept alive for the request.
    compiled: Arc<Compiled>,
    input: String,
    output: String,
}

impl OvNet {
    /// Compiles the ONNX `bytes` (read from `path`, named in errors); a dynamic batch dimension of `input` is
    /// bounded to `1..=max_batch`, which OpenVINO runs as fast as a static batch.
    pub fn open(
        bytes: &[u8],
        path: &Path,
        input: &str,
        output: &str,
        max_batch: usize,
        precision: Precision,
    ) -> Result<OvNet> {
        let fail = |e: &dyn std::fmt::Display| anyhow!("OpenVINO cannot load {}: {e}", path.display());
        let compiled = {
            let registry = COMPILED.get_or_init(Mutex::default);
            // Held while compiling, so that workers starting together compile each network once.
            let mut registry = registry.lock().map_err(|_| anyhow!("OpenVINO model registry poisoned"))?;
            let key = (path.to_path_buf(), input.to_string(), max_batch, precision);
            match registry.get(&key) {
                Some(c) => Arc::clone(c),
                None => {
                    let c = Arc::new(compile(bytes, input, max_batch, precision).map_err(|e| fail(&e))?);
                    registry.insert(key, Arc::clone(&c));
                    c
                }
            }
        };
        let request = compiled
            .model
            .lock()
            .map_err(|_| anyhow!("OpenVINO compiled model poisoned"))?
            .create_infer_request()
            .map_err(|e| fail(&e))?;
        Ok(OvNet { request, compiled, input: input.into(), output: output.into() })
    }

    /// The model's inputs and outputs as read from the file (before the batch bound).
    pub fn signature(&self) -> (Outlets, Outlets) {
        (self.compiled.inputs.clone(), self.compiled.outputs.clone())
    }

    /// Runs the network on one f32 tensor of `shape`; returns the named output's values.
    pub fn run(&mut self, shape: &[usize], data: &[f32]) -> Result<Vec<f32>> {
        let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let mut tensor = Tensor::new(ElementType::F32, &Shape::new(&dims)?)?;
        tensor.get_data_mut::<f32>()?.copy_from_slice(data);
        self.request.set_tensor(&self.input, &tensor)?;
        self.request.infer()?;
        let out = self.request.get_tensor(&self.output).with_context(|| format!("no output `{}`", self.output))?;
        Ok(out.get_data::<f32>()?.to_vec())
    }
}

fn compile(bytes: &[u8], input: &str, max_batch: usize, precision: Precision) -> Result<Compiled> {
    let mut core = core()?.lock().map_err(|_| anyhow!("OpenVINO core poisoned"))?;
    let mut model = core.read_model_from_buffer(bytes, None)?;
    let (inputs, outputs) = outlets(&model)?;
    let shape = inputs.iter().find(|(n, _)| n == input).map(|(_, s)| s.clone());
    if let Some(shape) = shape.filter(|s| s.first() == Some(&-1)) {
        let mut dims = vec![Dimension::new(1, max_batch as i64)];
        dims.extend(shape[1..].iter().map(|&d| Dimension::new(d, d)));
        model.reshape_input_by_name(input, &PartialShape::new(dims.len() as i64, &dims)?)?;
    }
    core.set_property(&DeviceType::CPU, &RwPropertyKey::HintInferencePrecision, hint(precision))?;
    let model_c = core.compile_model(&model, DeviceType::CPU)?;
    Ok(Compiled { model: Mutex::new(model_c), inputs, outputs })
}

fn outlets(model: &openvino::Model) -> Result<(Outlets, Outlets)> {
    let describe = |node: openvino::Node| -> Result<(String, Vec<i64>)> {
        let shape = node.get_partial_shape()?;
        let dims = shape.get_dimensions().iter().map(|d| if d.is_dynamic() { -1 } else { d.get_min() }).collect();
        Ok((node.get_name()?, dims))
    };
    let inputs = (0..model.get_inputs_len()?).map(|i| describe(model.get_input_by_index(i)?)).collect::<Result<_>>()?;
    let outputs =
        (0..model.get_outputs_len()?).map(|i| describe(model.get_output_by_index(i)?)).collect::<Result<_>>()?;
    Ok((inputs, outputs))
}
