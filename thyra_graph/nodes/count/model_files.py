"""count.save_model and count.load_model: a counting model learned from dots, as a file to keep or share.

The file is an uncompressed NPZ that NumPy reads without pickle: the forest's node arrays, and
one more entry, ``thyra.json``, with the format's name, the feature settings and the provenance
(dots, sigma) as JSON text. A model file from someone else is untrusted input: before anything
is read its members are listed and their sizes summed (a small file may not unpack to gigabytes),
and the model is then checked as a cached one is (``DensityModel.validate``: sizes, child
indices, depth, finite numbers, features the settings list), so it can neither crash nor hang
a count.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.limits import check_file_size
from thyra_graph.nodes.io.paths import atomic_write, existing_file
from thyra_graph.types import DensityModel, Path
from thyra_graph.types.density_model import MAX_NODES

FORMAT = "thyra.density_model/1"
HEADER = "thyra.json"
ARRAYS = ("left", "right", "feature", "threshold", "value", "roots")
#: A model at DensityModel's node limit: 24 bytes per node, plus its roots and header.
MAX_MODEL_BYTES = MAX_NODES * 24 + (64 << 20)


@node(
    "count.save_model", title="Save counting model", category="count",
    inputs=[Input("model", DensityModel, help="a model from count.learn_density")],
    params=[Param("path", "out/counting-model.npz", kind="path", io="write",
                  help="where to write the model: a .npz file (arrays and JSON, no pickle)")],
    outputs=[Output("path", Path, help="the file written")],
)
def save_counting_model(model: DensityModel, *, path: str) -> Path:
    """Write a counting model learned from dots to a file, to use again with count.load_model.

    Example: ``{type: count.save_model, inputs: {model: learn.model}, params: {path: out/cells.npz}}``
    """
    target = FsPath(path).expanduser()
    if target.suffix.lower() != ".npz":
        raise NodeError(f"count.save_model writes .npz files, not {target.suffix or 'files without a suffix'}: "
                        f"end the path with .npz (e.g. {target.with_suffix('.npz').name})")
    meta, arrays = model.to_record()
    header = json.dumps({"format": FORMAT, **meta}).encode("utf-8")
    with atomic_write(target, what="counting model (.npz)") as temporary, temporary.open("wb") as stream:
        np.savez(stream, **arrays, **{HEADER: np.frombuffer(header, dtype=np.uint8)})
    return Path(str(target))


@node(
    "count.load_model", title="Load counting model", category="count",
    params=[Param("path", "counting-model.npz", kind="path", io="read",
                  help="a model file written by count.save_model (.npz)")],
    outputs=[Output("model", DensityModel, help="the model, checked, for count.apply_density")],
)
def load_counting_model(*, path: str) -> DensityModel:
    """Read a counting model saved by count.save_model (here or on another machine).

    Example: ``{type: count.load_model, params: {path: models/cells.npz}}``
    """
    file = existing_file(path, what="counting model")
    check_file_size(file, MAX_MODEL_BYTES, "counting model")
    where = f"the counting model file {str(file)!r}"
    try:
        with zipfile.ZipFile(file) as archive:
            members = {info.filename: info.file_size for info in archive.infolist()}
        expected = {f"{name}.npy" for name in (*ARRAYS, HEADER)}
        if set(members) != expected:
            raise ValueError(f"it holds {sorted(members)}, not the entries of a model ({sorted(expected)})")
        if sum(members.values()) > MAX_MODEL_BYTES:
            raise ValueError(f"it unpacks to {sum(members.values()):,} bytes, more than a model may hold")
        with np.load(file, allow_pickle=False) as npz:
            header = json.loads(npz[HEADER].astype(np.uint8).tobytes().decode("utf-8"))
            arrays = {name: npz[name] for name in ARRAYS}
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError(f"its header does not name the format {FORMAT!r}")
        model = DensityModel.from_record(header, arrays)
        model.validate()
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise NodeError(f"{where} cannot be used: {exc}. Point 'path' at a file written by count.save_model, "
                        "or learn the model again with count.learn_density") from None
    return model
