"""The dataset card (README.md) of a Hugging Face export: YAML header and a body people can judge the data by.

Input: the run folder (config.json: models, critics, settings; summary.json: acceptance; curation.json; and
eval/metrics.json when the run was evaluated), the exported rows, and the `dataset_info`/`configs` YAML of
personagen.hf_dataset. Output: the README.md text. Header: license, language(s) of the run, task categories,
size category, features. Body: what the data is, labels, label quality (accuracy
measured by people or not measured, the emotion-reading critics' agreement, drops per emotion by cause:
personagen.label_quality), how it was generated, models per agent, critics and
their acceptance, duplicates removed, coverage, fields, known limits, citation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import median
from typing import Any

from personagen.evaluation.label_accuracy import interval
from personagen.hf_dataset import CARD_MARKER
from personagen.label_quality import READERS, label_quality
from personagen.runformat.folder import RunFolder
from personagen.runformat.lines import read_json
from personagen.summary import critic_acceptance

SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]
EVAL_FIGURES = [  # (label, dotted path in eval/metrics.json)
    ("coverage: mean cosine of each real text to its nearest synthetic one", "realism.coverage_cosine_mean"),
    ("share of synthetic texts that nearly copy a real one (cosine >= 0.95)", "realism.near_copy_share"),
    ("mean pairwise cosine distance (diversity)", "diversity.mean_cosine_distance"),
    ("TF-IDF + LR trained on this data, macro-F1 on the real test set", "downstream.synthetic.tfidf_lr.macro_f1"),
    ("MiniLM + LR trained on this data, macro-F1 on the real test set", "downstream.synthetic.minilm_lr.macro_f1"),
]
CITATION = """@article{inoshita2025persona,
  title         = {Persona-Based Synthetic Data Generation Using Multi-Stage Conditioning with Large Language
                   Models for Emotion Recognition},
  author        = {Inoshita, Keito and Harada, Rushia},
  year          = {2025},
  eprint        = {2507.13380},
  archivePrefix = {arXiv},
  primaryClass  = {cs.CL}
}"""


def size_category(n: int) -> str:
    return next((name for limit, name in SIZE_CATEGORIES if n < limit), "n>100M")


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def dotted(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def header(config: dict[str, Any], rows: list[dict[str, Any]], features: str, license_id: str) -> str:
    languages = sorted({str(r["language"]) for r in rows if r.get("language")} or {config.get("language", "en")})
    lines = ["---", f"license: {license_id}", "language:", *[f"- {lang}" for lang in languages],
             "task_categories:", "- text-classification", "task_ids:", "- multi-class-classification",
             "size_categories:", f"- {size_category(len(rows))}", "tags:", "- synthetic", "- emotion", "- personagen",
             f"pretty_name: \"PersonaGen synthetic emotion texts ({config.get('run_id', 'run')})\"", features, "---"]
    return "\n".join(lines)


def overview(config: dict[str, Any], rows: list[dict[str, Any]], names: list[str]) -> str:
    personas = len({r.get("persona_id") for r in rows})
    return (f"# PersonaGen synthetic emotion texts: run `{config.get('run_id', '?')}`\n\n"
            f"{len(rows)} short first-person texts, each labelled with one of {len(names)} emotions "
            f"({', '.join(names)}), written by language models in the voice of {personas} virtual personas "
            f"(locale `{config.get('locale', '?')}`, language `{config.get('language', '?')}`). Generated with "
            f"PersonaGen {config.get('version', '?')} on {str(config.get('created', '?'))[:10]}.\n\n"
            "The label is the emotion each text was written to express, checked by the critics below: it is not "
            "a human annotation. Every text comes with the persona, background and scenario that conditioned it.")


def labels_section(rows: list[dict[str, Any]], names: list[str], curation: dict[str, Any] | None) -> str:
    counts = Counter(str(r.get("emotion")) for r in rows)
    removed = (curation or {}).get("per_emotion", {})
    body = [[i, name, counts.get(name, 0), removed.get(name, {}).get("removed", "-")] for i, name in enumerate(names)]
    return "## Labels\n\n" + table(["id", "emotion", "texts", "set aside as duplicates"], body)


def measured_paragraph(measured: dict[str, Any] | None, names: list[str]) -> str:
    texts = (measured or {}).get("texts")
    if not texts:
        return ("**Label accuracy was not measured**: nobody has labelled a sample of these texts blind "
                "(`personagen label RUN`). The labels are the emotions asked for, filtered by the critics below; "
                "how often a reader would agree is unknown.")
    rows = [[e, interval(texts["per_emotion"][e])] for e in names if e in texts["per_emotion"]]
    controls = measured.get("controls")
    agreed = (f"On {controls['overall']['n']} controls (real texts with human labels, mixed in unannounced) the "
              f"labeller agreed with the real label {interval(controls['overall'])}: the ceiling to read the "
              "figures above against." if controls else "No controls were mixed in: the labeller's own "
              "agreement with human labels is not known.")
    return (f"**Label accuracy measured by people**: {texts['overall']['n']} kept texts labelled blind "
            f"(`personagen label`, by {', '.join(measured['labellers'])}) carried their target emotion "
            f"{interval(texts['overall'])} (95% Wilson interval); {interval(texts['no_clear_emotion'])} were "
            f"read as carrying no clear emotion. {agreed}\n\n" + table(["emotion", "labelled as the target"], rows))


def readers_paragraph(readers: dict[str, Any], names: list[str]) -> str:
    if not readers:
        return "No emotion-reading critic (`offline_emotion`, `emotion_fidelity`) judged these texts."
    header = [f"{c} {where}" for c in READERS if c in readers for where in ("(accepted texts)", "(all drafts)")]
    rows = [[e] + [interval((readers[c].get(e) or {}).get(w)) for c in READERS if c in readers
                   for w in ("kept", "drafts")] for e in names]
    return ("How often the critics that read emotions found the target as the text's top emotion (texts they did "
            "not judge left out; `offline_emotion` is a MiniLM classifier of six emotions, `emotion_fidelity` an "
            "LLM judge):\n\n" + table(["emotion", *header], rows))


def drops_paragraph(drops: dict[str, dict[str, int]], accepted: dict[str, int], names: list[str]) -> str:
    causes = sorted({c for d in drops.values() for c in d})
    rows = [[e, accepted.get(e, 0), sum((drops.get(e) or {}).values())] + [(drops.get(e) or {}).get(c, 0)
                                                                          for c in causes] for e in names]
    return ("Texts dropped per emotion by cause (a slot that ran out of attempts: the critic that blocked its last "
            "draft, or the writer's last answer unusable); losses skew the label balance:\n\n"
            + table(["emotion", "accepted", "dropped", *causes], rows))


def label_quality_section(folder: Path, names: list[str]) -> str:
    """Measured label accuracy (or that it was not measured), the emotion readers' agreement, drops by cause."""
    found = label_quality(folder)
    return "## Label quality\n\n" + "\n\n".join([
        measured_paragraph(found["measured"], names), readers_paragraph(found["readers"], names),
        drops_paragraph(found["drops"], found["accepted"], names)])


def generation_section(config: dict[str, Any]) -> str:
    method = config.get("method", "personagen")
    if method == "baseline":
        how = "Method: the baseline: each text was written from the target emotion alone, without a persona."
    else:
        how = (f"Method: PersonaGen, stages `{config.get('stages', 'full')}`. A base persona (age, gender, "
               "occupation, MBTI) sampled from demographic tables and checked by plausibility critics; a "
               "socio-cultural background (education, religion, household and income from tables, residence and "
               "beliefs written by a model) checked for consistency; a scenario (location, activity, partner, "
               "medium, language style); then short first-person texts per target emotion, checked by "
               "expression critics and rewritten when rejected. Every loop is bounded; what runs out of attempts "
               "is dropped.")
    size = (f"Sized by texts: {config['texts']} in all, an equal quota per emotion of texts kept by the critics "
            "and curation, with personas added in rounds until each emotion had its quota"
            if config.get("texts") else f"Personas requested: {config.get('personas', '?')}")
    return (f"## How it was generated\n\n{how}\n\n{size}; texts per emotion and persona: "
            f"{config.get('texts_per_emotion', '?')}; seed {config.get('seed', '?')} (persona *i* gets a seed derived "
            "from the run seed and *i*, so the run can be reproduced).")


def models_section(config: dict[str, Any]) -> str:
    models = config.get("models") or {}
    rows = [[agent, m.get("backend", "?"), m.get("model", "?")] for agent, m in sorted(models.items())
            if isinstance(m, dict)]
    note = "`default` serves every agent and critic not listed by name."
    return "## Models per agent\n\n" + (table(["agent", "backend", "model"], rows) + f"\n\n{note}" if rows
                                        else "Not recorded in config.json.")


def critics_section(config: dict[str, Any], summary: dict[str, Any] | None) -> str:
    if not summary:
        return "## Critics and acceptance\n\nThe run has no summary.json (it did not end cleanly)."
    advisory = set(config.get("advisory_critics") or [])
    rows = [[name, c.get("passed", 0), c.get("rejected", 0), c.get("advised_against", 0), critic_acceptance(c),
             "advisory (recorded, not enforced)" if name in advisory else "enforced"]
            for name, c in sorted((summary.get("critics") or {}).items())]
    personas, texts = summary.get("personas") or {}, summary.get("texts") or {}
    lead = (f"Run status: {summary.get('status', '?')}. Personas accepted {personas.get('accepted', '?')} of "
            f"{personas.get('requested', '?')}; texts accepted {texts.get('accepted', '?')}, dropped "
            f"{texts.get('dropped', '?')}. Acceptance is the share of a critic's verdicts that passed, rewrites "
            "included; an advisory critic rejects nothing: what it would have rejected is counted as advised "
            "against, and its acceptance is the share it did not advise against.")
    return "## Critics and acceptance\n\n" + lead + "\n\n" + table(
        ["critic", "passed", "rejected", "advised against", "acceptance", "role"], rows)


def cost_section(summary: dict[str, Any] | None, kept: int) -> str:
    """What the run cost (summary.json, docs/costs.md): in total, per text in this dataset, by agent, at which price."""
    head = "## Cost\n\n"
    if not summary or summary.get("cost") is None:
        return head + "Not priced: the run's models had no price (docs/costs.md)."
    per_text = f"${summary['cost'] / kept:.5f} per text in this dataset" if kept else "no text kept"
    prices = summary.get("prices") or {}
    rows = [[agent, int(a.get("calls", 0)), f"${a['cost']:.4f}",
             (prices.get(agent) or {}).get("source", "-")]
            for agent, a in sorted((summary.get("agents") or {}).items()) if a.get("cost") is not None]
    return (head + f"USD {summary['cost']:.4f} for the whole run ({per_text}; every model call counted, rejected "
            "drafts and their rewrites included).\n\n" + table(["agent", "calls", "cost", "price"], rows))


def duplicates_section(curation: dict[str, Any] | None, left_out: int, curated: bool) -> str:
    head = "## Duplicates removed\n\n"
    if not curated:
        return head + ("This export keeps every accepted text (`--all`): near-duplicates across personas were "
                       "not removed." + (f" Curation found {curation['removed']}." if curation else ""))
    if not curation:
        return head + "No curation was run."
    s = curation.get("settings", {})
    kinds = ", ".join(f"{n} {kind}" for kind, n in (curation.get("by_match") or {}).items()) or "none"
    model = s.get("embedding_model") or s.get("note") or "no embedding pass"
    return head + (
        f"{left_out} of {curation.get('records')} accepted texts were set aside as near-duplicates of an earlier "
        f"text ({kinds}); {curation.get('label_conflicts', 0)} of them carried another emotion than the text "
        f"kept. A text is a near-duplicate when it equals another after normalisation (case, punctuation, "
        f"spaces), shares >= {s.get('jaccard_threshold')} of its word trigrams with it (Jaccard, MinHash LSH), "
        f"or their sentence embeddings have cosine >= {s.get('cosine_threshold')} ({model}); each connected "
        "group keeps its earliest text. The run folder's `curation.jsonl` lists every removal with the text it "
        "duplicates. docs/curation.md gives the share of real GoEmotions comments these thresholds would merge.")


def coverage_section(folder: Path, rows: list[dict[str, Any]]) -> str:
    def distinct(column: str) -> int:
        return len({r.get(column) for r in rows if r.get(column) not in (None, "")})

    ages = [r["persona_age"] for r in rows if isinstance(r.get("persona_age"), int | float)]
    genders = Counter(str(r.get("persona_gender")) for r in {r.get("persona_id"): r for r in rows}.values())
    lines = [f"- personas: {len({r.get('persona_id') for r in rows})}; gender "
             + ", ".join(f"{g} {n}" for g, n in genders.most_common())
             + (f"; age {min(ages)}-{max(ages)} (median {median(ages):g})" if ages else ""),
             f"- distinct occupations {distinct('persona_occupation')}, MBTI types {distinct('persona_mbti')}, "
             f"locations {distinct('scenario_location')}, activities {distinct('scenario_activity')}, "
             f"media {distinct('scenario_medium')}"]
    metrics = read_json(folder / "eval" / "metrics.json")
    if metrics:
        found = [(label, dotted(metrics, path)) for label, path in EVAL_FIGURES]
        lines += [f"- {label}: {value}" for label, value in found if value is not None]
        lines.append("  (from `personagen eval`, over the run's texts before curation)")
    return "## Coverage\n\n" + "\n".join(lines)


def fields_section(types: dict[str, str]) -> str:
    rows = [[f"`{c}`", "ClassLabel" if t == "class_label" else t] for c, t in types.items()]
    return ("## Fields\n\n`persona_*`, `socio_*` and `scenario_*` are the conditioning the writer saw; "
            "`critics_passed` lists the critics whose verdict the text passed.\n\n" + table(["column", "type"], rows))


def limits_section(config: dict[str, Any]) -> str:
    local = any(isinstance(m, dict) and m.get("backend") == "local" for m in (config.get("models") or {}).values())
    items = ["Synthetic text: it carries the styles and biases of the models that wrote it, and reads more "
             "uniform than real comments; use it to augment or bootstrap, and test on real data.",
             "Labels are the emotion asked for, filtered by critics (some may be advisory or model-judged): "
             "expect label noise, especially between close emotions.",
             "Personas are sampled from public demographic tables of one locale; intersections the tables do not "
             "describe (and people outside them) are not represented.",
             "Duplicate removal embeds English only; for other languages only the exact and lexical passes ran.",
             "License: the terms of use of the models listed above apply to their outputs; check them before "
             "redistributing."]
    if local:
        items.insert(0, "Some texts come from the small embedded demo model, which writes poor text: "
                        "treat them as a smoke test, not as training data.")
    return "## Known limits\n\n" + "\n".join(f"- {item}" for item in items)


def render_card(folder: Path, rows: list[dict[str, Any]], features: str, types: dict[str, str], names: list[str],
                license_id: str, curation: dict[str, Any] | None, left_out: int, curated: bool) -> str:
    """README.md of the export (see the module doc)."""
    run = RunFolder(folder)
    config, summary = run.config_dict, run.summary_dict
    sections = [header(config, rows, features, license_id), CARD_MARKER, overview(config, rows, names),
                labels_section(rows, names, curation), label_quality_section(folder, names),
                generation_section(config), models_section(config),
                critics_section(config, summary), cost_section(summary, len(rows)),
                duplicates_section(curation, left_out, curated),
                coverage_section(folder, rows), fields_section(types), limits_section(config),
                "## Citation\n\nPersonaGen implements the method of Inoshita & Harada (2025), *Persona-Based "
                "Synthetic Data Generation Using Multi-Stage Conditioning with Large Language Models for Emotion "
                f"Recognition* (arXiv:2507.13380):\n\n```bibtex\n{CITATION}\n```"]
    return "\n\n".join(sections) + "\n"
