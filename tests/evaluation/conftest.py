"""Fixtures of the evaluation tests: a shared embedder and small runs written by the pipeline on the scripted model
(tests/evaluation/pipeline_runs.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the evaluation tests need the 'eval' extra")

from personagen.evaluation.embeddings import Embedder  # noqa: E402
from tests.evaluation.pipeline_runs import RunCache  # noqa: E402

TEXTS = {
    "joy": [
        "I finally got the job, I can't stop smiling!",
        "Best birthday ever, thank you all so much!",
        "We won the final, what a night!",
        "My sister just had a healthy baby girl, so happy.",
        "Sunshine, coffee and a day off. Perfect.",
        "Passed my driving test on the first try!",
    ],
    "anger": [
        "They cancelled my flight again without telling me. Unbelievable.",
        "Stop taking my lunch from the office fridge!",
        "The landlord ignored my emails for a month.",
        "I am furious that the bank charged me twice.",
        "Why does nobody ever clean up after themselves?",
        "He lied to my face and thinks it's fine.",
    ],
    "sadness": [
        "I miss my grandmother every single day.",
        "The house feels so empty since the dog died.",
        "Nobody came to my show tonight.",
        "I failed the exam after months of studying.",
        "We said goodbye at the station and I cried all the way home.",
        "Another rainy Sunday alone in this flat.",
    ],
}


# Written for these tests: short first-person messages, six per emotion.
TEXTS_JA = {
    "joy": [
        "やっと内定もらえた！今夜はお祝いだ。", "誕生日にみんなが集まってくれて最高の一日だった。",
        "決勝で勝った！みんなで朝まで騒いだよ。", "妹に元気な女の子が生まれた。最高の知らせ。",
        "晴れた休日にコーヒーとのんびり。最高。", "運転免許、一発で合格した！",
    ],
    "anger": [
        "また連絡なしで便が欠航。本当に腹が立つ。", "会社の冷蔵庫から私の弁当を取るのやめて！",
        "大家が一ヶ月もメールを無視してる。腹が立つ。", "銀行に二重で引き落とされた。許せない。",
        "なんで誰も片付けないの？本当に腹が立つ。", "目の前で嘘をついて平気な顔してる。許せない。",
    ],
    "sadness": [
        "おばあちゃんに毎日会いたくなる。", "犬がいなくなって家ががらんとしてる。",
        "今夜のライブ、誰も来てくれなかった。", "何ヶ月も勉強したのに試験に落ちた。",
        "駅で別れて、帰り道ずっと泣いていた。", "また一人きりの雨の日曜日。",
    ],
}
JAPANESE = {"run": {"locale": "jp", "language": "ja"}}


def read_records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def rewrite_json(path: Path, change) -> None:
    """Edit a JSON file of a run in place (`change` takes and returns the object)."""
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the shared embedding cache of the tests out of the user's home."""
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path / "shared-cache"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory: pytest.TempPathFactory) -> RunCache:
    return RunCache(tmp_path_factory.mktemp("pipeline-runs"))


@pytest.fixture
def tiny_run(tmp_path: Path, run_cache: RunCache) -> Path:
    """6 personas, each writing one joy, anger and sadness text of TEXTS (18 texts), all kept."""
    return run_cache.copy("tiny", tmp_path / "runs", TEXTS)


@pytest.fixture
def ja_run(tmp_path: Path, run_cache: RunCache) -> Path:
    """The same in Japanese (locale jp, language ja): TEXTS_JA."""
    return run_cache.copy("ja", tmp_path / "runs", TEXTS_JA, settings=JAPANESE)


@pytest.fixture
def tiny_real(tmp_path: Path) -> Path:
    """A real corpus folder whose labels need a map: happy/angry/sad."""
    folder = tmp_path / "real"
    folder.mkdir()
    names = {"joy": "happy", "anger": "angry", "sadness": "sad"}
    rows = [(text, names[label]) for label, items in TEXTS.items() for text in items]
    train = "".join(f"{t} indeed\t{lb}\tid{i}\n" for i, (t, lb) in enumerate(rows))
    test = "".join(f'"{t}" she said\t{lb}\tt{i}\n' for i, (t, lb) in enumerate(rows[::2]))
    (folder / "train.tsv").write_text("text\tlabel\tid\n" + train)
    (folder / "test.tsv").write_text("text\tlabel\tid\n" + test)
    return folder

