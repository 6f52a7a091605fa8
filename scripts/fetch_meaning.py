"""Puts the meaning view's two data files in models/meaning (run by `make setup`).

Downloads the hash-pinned `wordllama` wheel (requirements-meaning.txt) from the package
registry without installing it, and extracts its word vectors and tokenizer. Nothing is
fetched at run time or test time.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meso.content.meaning import MEANING_DIR, TOKENIZER, WEIGHTS  # noqa: E402

MEMBERS = {f"wordllama/weights/{WEIGHTS}": WEIGHTS, f"wordllama/tokenizers/{TOKENIZER}": TOKENIZER}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary=:all:", "--require-hashes", "-r", str(ROOT / "requirements-meaning.txt"), "-d", folder],
            check=True,
        )
        (wheel,) = Path(folder).glob("wordllama-*.whl")
        MEANING_DIR.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for member, name in MEMBERS.items():
                (MEANING_DIR / name).write_bytes(archive.read(member))
    print(f"meaning model: {', '.join(MEMBERS.values())} in models/meaning")


if __name__ == "__main__":
    main()
