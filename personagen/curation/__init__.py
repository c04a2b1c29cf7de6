"""Dataset curation: near-duplicates across the whole run found and set aside (docs/curation.md).

`personagen curate RUN` (and the end of `personagen run`) writes RUN/curation.json and RUN/curation.jsonl;
`personagen export` reads them to export the curated view. The passes live in `engine` (numpy and the MiniLM
embedder: the `local` or `eval` extra); `store` reads and writes the files with the standard library only, so
readers need no extra.
"""

from personagen.curation.store import REMOVED_FILE, SUMMARY_FILE, CurationState, curation_state

# Defaults, measured on GoEmotions in docs/curation.md (bench/bench_curation.py --goemotions).
COSINE = 0.95  # sentence-embedding cosine similarity
JACCARD = 0.8  # word-trigram Jaccard similarity
NEIGHBOURS = 10  # nearest neighbours linked per text by each of the lexical and semantic passes

__all__ = ["COSINE", "JACCARD", "NEIGHBOURS", "REMOVED_FILE", "SUMMARY_FILE", "CurationState", "curation_state"]
