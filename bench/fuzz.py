"""Fuzzing every reader of outside input: model files, pictures and bookmark files.

Each mutation of a valid checkpoint (truncation, bit flips, a lying header length, JSON garbage,
wrong dtypes and shapes, NaN/Inf weights, 0-d tensors, huge declared shapes, valid JSON with
hostile values) goes through ``load_model`` (a file in the folder), ``load_model_bytes`` (an
upload) and ``inspect_checkpoint`` (the catalog's listing); pictures and bookmark files
(``bench.fuzz_inputs``) through the readers an upload meets. Each must end in the one error
type, ``InputError``, or a valid result, never another exception, and within ``LIMIT_S``.

    python -m bench.fuzz [--mutations 2000] [--pictures 2000] [--bookmarks 1000] [--seed 0]
        [--doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import resource
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from bench.fuzz_inputs import CASES
from bench.fuzz_onnx import onnx_cases
from gen_core.eval.metric_keys import FD
from gen_core.eval.zoo_table import publish
from gen_core.files.checkpoint import (
    inspect_checkpoint,
    load_model,
    load_model_bytes,
    save_model,
)
from gen_core.files.errors import InputError
from gen_core.media.images import from_user_image, open_user_image
from gen_core.models import build_model
from gen_core.models.dcgan import DCGANConfig
from gen_core.models.vae import VAEConfig
from ui.presenter import parse_bookmarks

LIMIT_S = 2.0  # seconds per attempt: refused or read, every input is done within this
START, END = "<!-- fuzz:start -->", "<!-- fuzz:end -->"
HOSTILE_VALUES = (None, [], {}, "", "x" * 10_000, -1, 0, 2**62, 1e308, float("nan"), True, [None], [[1]],
                  {"a": 1}, [1, 2, 3, 4, 5, 6, 7, 8])


def base_checkpoints(folder: Path) -> list[bytes]:
    """Two small valid checkpoints to mutate: a convolutional VAE and a DCGAN generator."""
    torch.manual_seed(0)
    shape = (1, 8, 8)
    models = [build_model("vae", VAEConfig(arch="conv", latent_dim=4, hidden=(4, 8, 16), image_shape=shape)),
              build_model("dcgan", DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=shape))]
    return [save_model(m.eval(), folder / f"base{i}.safetensors", dataset={"name": "digits"},
                       metrics={FD: 1.0}).read_bytes() for i, m in enumerate(models)]


def split(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def join(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def with_meta(data: bytes, change: Callable[[dict], None]) -> bytes:
    header, body = split(data)
    meta = json.loads(header["__metadata__"]["gen_core"])
    change(meta)
    header["__metadata__"]["gen_core"] = json.dumps(meta)
    return join(header, body)


def with_tensor_entry(data: bytes, rng: random.Random, change: Callable[[dict], None]) -> bytes:
    header, body = split(data)
    name = rng.choice([k for k in header if k != "__metadata__"])
    change(header[name])
    return join(header, body)


def _set_path(meta: dict, rng: random.Random, value) -> None:
    """Put ``value`` at a random key of the metadata, one or two levels down."""
    section = rng.choice(["config", "latent_spec", "image_shape", "family", "arch", "schema_version",
                          "dataset", "training", "metrics"])
    target = meta.get(section)
    if isinstance(target, dict) and target and rng.random() < 0.8:
        target[rng.choice(sorted(target))] = value
    elif isinstance(target, list) and target and rng.random() < 0.8:
        target[rng.randrange(len(target))] = value
    else:
        meta[section] = value


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One random mutation of checkpoint ``data``: ``(kind, mutated bytes)``."""
    kind = rng.choice(["truncate", "bit flips", "header length", "json garbage", "dtype", "shape", "0-d",
                       "huge shape", "non-finite", "hostile value", "offsets", "drop key"])
    if kind == "truncate":
        return kind, data[:rng.randrange(len(data))]
    if kind == "bit flips":
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(mutated))
            mutated[position] ^= 1 << rng.randrange(8)
        return kind, bytes(mutated)
    if kind == "header length":
        length = rng.choice([0, 1, 7, 2**63 - 1, 2**40, len(data), rng.randrange(len(data) + 100)])
        return kind, struct.pack("<Q", length) + data[8:]
    if kind == "json garbage":
        header, body = split(data)
        text = json.dumps(header).encode()
        garbage = bytearray(text)
        for _ in range(rng.randint(1, 20)):
            garbage[rng.randrange(len(garbage))] = rng.randrange(256)
        return kind, struct.pack("<Q", len(garbage)) + bytes(garbage) + body
    if kind == "dtype":
        return kind, with_tensor_entry(data, rng, lambda e: e.update(dtype=rng.choice(
            ["F16", "F64", "I64", "BOOL", "U8", "BF16", "XX", None, 3])))
    if kind == "shape":
        def reshape(entry: dict) -> None:
            grown = [entry["shape"][0] + 1, *entry["shape"][1:]] if entry["shape"] else [2]
            entry["shape"] = rng.choice([[1], grown, entry["shape"][::-1], [-1], None, "3"])
        return kind, with_tensor_entry(data, rng, reshape)
    if kind == "0-d":
        return kind, with_tensor_entry(data, rng, lambda e: e.update(shape=[]))
    if kind == "huge shape":
        return kind, with_tensor_entry(data, rng, lambda e: e.update(shape=[2**31, 2**31]))
    if kind == "offsets":
        return kind, with_tensor_entry(data, rng, lambda e: e.update(data_offsets=rng.choice(
            [[0, 2**62], [5, 1], [-4, 4], None, [0]])))
    if kind == "non-finite":
        header, body = split(data)
        entry = header[rng.choice([k for k in header if k != "__metadata__"])]
        start, end = entry["data_offsets"]
        bad = struct.pack("<f", rng.choice([float("nan"), float("inf"), float("-inf")]))
        position = start + 4 * rng.randrange(max(1, (end - start) // 4))
        return kind, join(header, body[:position] + bad + body[position + 4:])
    if kind == "drop key":
        return kind, with_meta(data, lambda meta: meta.pop(rng.choice(sorted(meta)), None))
    return kind, with_meta(data, lambda meta: _set_path(meta, rng, rng.choice(HOSTILE_VALUES)))


def attempts(data: bytes, folder: Path) -> Iterator[tuple[str, Callable[[], object]]]:
    """The three ways the app opens a file, each as ``(name, call)``."""
    path = folder / "fuzzed.safetensors"
    path.write_bytes(data)
    yield "load_model", lambda: load_model(path)
    yield "load_model_bytes", lambda: load_model_bytes(data, "upload.safetensors")
    yield "inspect_checkpoint", lambda: inspect_checkpoint(path)


def reader_attempts(family: str, data: bytes) -> Iterator[tuple[str, Callable[[], object]]]:
    """The app's reader of a picture or a bookmarks file, as ``(name, call)``."""
    if family == "picture":
        yield "open_user_image", lambda: [from_user_image(open_user_image(data), shape)
                                          for shape in ((1, 28, 28), (3, 64, 64))]
    else:
        yield "parse_bookmarks", lambda: parse_bookmarks(data)


def run(mutations: int, seed: int = 0, pictures: int = 0, bookmarks: int = 0, graphs: int = 0) -> dict:
    """Fuzz ``mutations`` checkpoint files, ``pictures`` pictures, ``bookmarks`` bookmark files and
    ``graphs`` ONNX files; returns outcome counts by ``(input, kind, outcome)``, failures, the
    slowest attempt and the process's peak memory growth."""
    rng = random.Random(seed)
    outcomes: collections.Counter = collections.Counter()
    failures, slowest = [], (0.0, "")
    start_rss = peak_rss_mib()

    def attempt(family: str, kind: str, way: str, call: Callable[[], object]) -> None:
        nonlocal slowest
        started = time.perf_counter()
        try:
            call()
            outcome = "accepted"
        except InputError as err:  # a named check, or the readers' catch-all for the unforeseen
            outcome = "refused, unforeseen" if "malformed" in str(err) else "refused"
        except Exception as err:  # exactly what must never happen
            outcome = "other exception"
            failures.append(f"{kind} via {way}: {type(err).__name__}: {err}"[:300])
        took = time.perf_counter() - started
        if took > slowest[0]:
            slowest = (took, f"{kind} via {way}")
        if took > LIMIT_S:
            failures.append(f"{kind} via {way}: took {took:.2f} s")
        outcomes[(family, kind, outcome)] += 1

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bases = base_checkpoints(folder)
        for _ in range(mutations):
            kind, data = mutate(rng.choice(bases), rng)
            for way, call in attempts(data, folder):
                attempt("checkpoint", kind, way, call)
    for family, count in (("picture", pictures), ("bookmarks", bookmarks)):
        for _ in range(count):
            kind, data = CASES[family](rng)
            for way, call in reader_attempts(family, data):
                attempt(family, kind, way, call)
    for kind, data, external in onnx_cases(rng, graphs):
        attempt("onnx", kind, "load_model_bytes",
                lambda data=data, external=external: load_model_bytes(data, "fuzz.onnx", external=external))
    return {"outcomes": outcomes, "failures": failures, "slowest": slowest, "mutations": mutations,
            "cases": mutations + pictures + bookmarks + graphs, "rss_growth_mib": peak_rss_mib() - start_rss}


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutations", type=int, default=2000, help="mutated checkpoint files")
    parser.add_argument("--pictures", type=int, default=2000, help="pictures, valid and hostile")
    parser.add_argument("--bookmarks", type=int, default=1000, help="bookmark files, valid and hostile")
    parser.add_argument("--graphs", type=int, default=2000, help="ONNX decoders, valid and mutated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--doc", type=Path,
                        help="write the table between the fuzz markers of this file (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    result = run(args.mutations, args.seed, args.pictures, args.bookmarks, args.graphs)
    lines = [f"{result['cases']:,} inputs (seed {args.seed}): {args.mutations:,} mutated checkpoints, "
             "each opened three ways (`load_model`, `load_model_bytes`, `inspect_checkpoint`), "
             f"{args.pictures:,} pictures read as an upload is (`open_user_image`, then prepared for a "
             f"grey 28×28 and a colour 64×64 model), {args.bookmarks:,} bookmark files "
             f"(`parse_bookmarks`) and {args.graphs:,} ONNX decoders uploaded with their external "
             "data (`load_model_bytes`). \"Accepted\" is an input that left a valid model, picture or "
             "bookmark list (a flipped bit in a weight, a valid picture); \"refused\" is the one error "
             "type, `InputError`, from a named check; \"unforeseen\" is the same error from the readers' "
             "catch-all (\"malformed file\"): refused cleanly, but by no check of its own.", "",
             "| input | case | refused | refused, unforeseen | accepted | other exception |",
             "|---|---|---|---|---|---|"]
    for family, kind in sorted({(f, k) for f, k, _ in result["outcomes"]}):
        counts = [result["outcomes"][(family, kind, o)]
                  for o in ("refused", "refused, unforeseen", "accepted", "other exception")]
        lines.append(f"| {family} | {kind} | " + " | ".join(map(str, counts)) + " |")
    took, where = result["slowest"]
    lines.append(f"\nSlowest attempt: {took * 1000:.0f} ms ({where}); limit {LIMIT_S:.0f} s. Peak memory "
                 f"growth of the process over the whole run: {result['rss_growth_mib']:.0f} MiB "
                 "(limit 1 GiB). "
                 f"Other exceptions or attempts over the limit: **{len(result['failures'])}**.")
    lines += [f"- {failure}" for failure in result["failures"][:20]]
    table = "\n".join(lines)
    publish(table, args.doc, START, END)
    return result


if __name__ == "__main__":
    main()
