"""The meaning view of the answer index: static word embeddings, no network, no GPU.

A text's vector is the mean of its tokens' vectors (unit length), so "which drugs are
administered" lands near "what is in the injections" though they share no word. The
vectors are WordLlama's `l2_supercat_256` (256 dimensions, 32,000 tokens, with its
tokenizer), taken from the `wordllama` wheel on PyPI at setup (`make setup`,
scripts/fetch_meaning.py): the wheel itself needs numpy and pydantic versions Rasa 3.6
rules out, and its inference is this lookup and mean, so only its two data files are
used. Embedding a question costs about 0.05 ms.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from meso.settings import PROJECT_ROOT

MEANING_DIR = PROJECT_ROOT / "models" / "meaning"
WEIGHTS = "l2_supercat_256.safetensors"
TOKENIZER = "l2_supercat_tokenizer_config.json"


class MeaningModel:
    """Unit-length mean token vectors of texts."""

    def __init__(self, folder: Path) -> None:
        missing = [name for name in (WEIGHTS, TOKENIZER) if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"meaning model not found in {folder} ({', '.join(missing)}): run `make setup`")
        self._vectors = load_file(str(folder / WEIGHTS))["embedding.weight"].astype(np.float32)
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    @property
    def dimensions(self) -> int:
        return int(self._vectors.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text; an empty text (no tokens) gets the zero vector."""
        rows = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            # One text at a time: encode_batch would start the tokenizer's thread pool.
            ids = np.clip(np.asarray(self._tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64), 0, len(self._vectors) - 1)
            if ids.size:
                vector = self._vectors[ids].mean(axis=0)
                norm = float(np.sqrt((vector * vector).sum()))  # no BLAS call (see index.py)
                if norm:
                    rows[row] = vector / norm
        return rows


@lru_cache(maxsize=1)
def shared_model() -> MeaningModel:
    """The process's model (loaded once, about 30 MB), from MESO_MEANING_DIR or models/meaning."""
    return MeaningModel(Path(os.environ.get("MESO_MEANING_DIR") or MEANING_DIR))
