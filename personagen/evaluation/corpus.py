"""Real labelled corpora and label maps: what synthetic text is compared against.

Input: `--real PATH`, either a folder holding train.tsv and test.tsv or one tab-separated file, each with the
header `text<TAB>label[<TAB>id]` (lines are split on tabs, never parsed as CSV: texts contain quotes); and an
optional label map (`--label-map FILE`, JSON object or `src=dst` lines) from real labels to synthetic ones.
Output: a `RealCorpus` whose labels are mapped onto the synthetic label set (rows whose label maps to no
synthetic label are dropped and counted).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from personagen.evaluation.errors import EvalError


@dataclass
class Split:
    """One split of a real corpus: texts and their (mapped) labels."""

    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class RealCorpus:
    """A real corpus, labels mapped onto the synthetic ones; `note` says how the splits were made."""

    source: str
    train: Split
    test: Split
    dropped: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def all(self) -> Split:
        return Split(self.train.texts + self.test.texts, self.train.labels + self.test.labels)


def read_tsv(path: Path) -> Split:
    """Read a `text<TAB>label[<TAB>id]` file with a header line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"cannot read the real corpus {path}: {exc}") from exc
    if not lines:
        raise EvalError(f"the real corpus {path} is empty")
    header = [h.strip().lower() for h in lines[0].split("\t")]
    if "text" not in header or "label" not in header:
        raise EvalError(
            f"{path}: the first line must be a tab-separated header with columns 'text' and 'label' "
            f"(found {lines[0][:80]!r})"
        )
    text_at, label_at = header.index("text"), header.index("label")
    texts, labels = [], []
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) <= max(text_at, label_at) or not cells[text_at].strip():
            continue
        texts.append(cells[text_at].strip())
        labels.append(cells[label_at].strip())
    if not texts:
        raise EvalError(f"the real corpus {path} has a header but no rows")
    return Split(texts, labels)


def read_label_map(path: str | Path | None) -> dict[str, str]:
    """A label map from a JSON object file or from `src=dst` lines (blank lines and # comments ignored)."""
    if path is None:
        return {}
    file = Path(path)
    if not file.is_file():
        raise EvalError(f"label map {file} not found (give a JSON object or 'src=dst' lines)")
    content = file.read_text(encoding="utf-8")
    if content.lstrip().startswith("{"):
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise EvalError(f"label map {file} is not valid JSON: {exc}") from exc
        return {str(k).strip(): str(v).strip() for k, v in data.items()}
    mapping: dict[str, str] = {}
    for number, line in enumerate(content.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise EvalError(f"label map {file} line {number}: expected 'src=dst', got {line!r}")
        src, dst = line.split("=", 1)
        mapping[src.strip()] = dst.strip()
    return mapping


def map_split(split: Split, mapping: dict[str, str], targets: set[str], dropped: Counter) -> Split:
    """Keep the rows whose (mapped) label is a synthetic label; count the others in `dropped`."""
    texts, labels = [], []
    for text, label in zip(split.texts, split.labels, strict=True):
        mapped = mapping.get(label, label)
        if mapped in targets:
            texts.append(text)
            labels.append(mapped)
        else:
            dropped[label] += 1
    return Split(texts, labels)


def stratified_split(split: Split, test_share: float = 0.2, seed: int = 0) -> tuple[Split, Split]:
    """Split one file into train/test, per label, with a fixed seed."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(split.labels):
        by_label.setdefault(label, []).append(i)
    train_idx, test_idx = [], []
    for indices in by_label.values():
        rng.shuffle(indices)
        cut = max(1, round(len(indices) * test_share)) if len(indices) > 1 else 0
        test_idx += indices[:cut]
        train_idx += indices[cut:]
    pick = lambda idx: Split([split.texts[i] for i in sorted(idx)], [split.labels[i] for i in sorted(idx)])  # noqa: E731
    return pick(train_idx), pick(test_idx)


def load_real(
    path: str | Path, synthetic_labels: set[str], label_map: dict[str, str] | None = None
) -> RealCorpus:
    """Read a real corpus and map its labels onto `synthetic_labels`."""
    root = Path(path)
    mapping = label_map or {}
    note = ""
    if root.is_dir():
        train_path, test_path = root / "train.tsv", root / "test.tsv"
        if not (train_path.is_file() and test_path.is_file()):
            raise EvalError(f"{root} must hold train.tsv and test.tsv (or pass one .tsv file with --real)")
        train, test = read_tsv(train_path), read_tsv(test_path)
    elif root.is_file():
        train, test = stratified_split(read_tsv(root))
        note = "one file: split 80/20 per label (seed 0) into train/test"
    else:
        raise EvalError(f"real corpus {root} not found: pass a folder with train.tsv/test.tsv or a .tsv file")
    dropped: Counter = Counter()
    mapped_train = map_split(train, mapping, synthetic_labels, dropped)
    mapped_test = map_split(test, mapping, synthetic_labels, dropped)
    if not mapped_test.texts:
        real_labels = sorted(set(train.labels) | set(test.labels))
        raise EvalError(
            f"no label of the real corpus ({', '.join(real_labels[:12])}) matches a synthetic label "
            f"({', '.join(sorted(synthetic_labels))}): pass --label-map FILE with 'real=synthetic' lines"
        )
    return RealCorpus(str(root), mapped_train, mapped_test, dict(dropped), note)
