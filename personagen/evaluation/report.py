"""The self-contained HTML report of an evaluation: inline CSS, plots as embedded base64 PNGs, no network.

Input: the metrics dict (as written to metrics.json) and the plots (name -> base64 PNG).
Output: one HTML string.
"""

from __future__ import annotations

import html
from typing import Any

from personagen.evaluation.groups import section_html as section_groups
from personagen.evaluation.key_metrics import format_value, key_rows
from personagen.evaluation.label_accuracy import section_html as section_labels

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
padding:0 1rem}h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .6rem;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.note{color:#666;
font-size:.85rem}img{max-width:100%;margin:.5rem 0}.warn{color:#9a5b00}blockquote{margin:.3rem 0;padding:.3rem
.8rem;border-left:3px solid #ccc;background:#fafafa}
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """An HTML table; floats get 3 decimals, None shows as '-'."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(format_value(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def image(plots: dict[str, str], name: str, alt: str) -> str:
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{plots[name]}">' if name in plots else ""


def section_summary(metrics: dict[str, Any]) -> str:
    rows = [[label, values[0]] for label, _, values in key_rows([metrics])]
    counts = metrics.get("labels", {})
    warnings = "".join(f'<p class="warn">{esc(w)}</p>' for w in metrics.get("warnings", []))
    return (
        "<h2>Summary</h2>"
        + table(["metric", "value"], rows)
        + "<h3>Texts per emotion</h3>"
        + table(["emotion", "texts"], [[k, v] for k, v in counts.items()])
        + warnings
    )


def section_diversity(d: dict[str, Any], plots: dict[str, str]) -> str:
    per = [
        [
            label,
            v["n"],
            v["mean_cosine_distance"],
            v.get("silhouette"),
            v["distinct_1"],
            v["distinct_2"],
            v["self_bleu"],
        ]
        for label, v in d["per_label"].items()
    ]
    per.append(
        [
            "all",
            d["n"],
            d["mean_cosine_distance"],
            d["silhouette"],
            d["distinct_1"],
            d["distinct_2"],
            d["self_bleu"],
        ]
    )
    kmeans = d.get("kmeans", {})
    return (
        "<h2>Semantic diversity</h2>"
        + table(
            [
                "emotion",
                "texts",
                "mean cosine distance",
                "silhouette",
                "distinct-1",
                "distinct-2",
                "self-BLEU",
            ],
            per,
        )
        + f"<p>k-means (k={esc(kmeans.get('k'))}) purity {esc(format_value(kmeans.get('purity')))}, "
        f"NMI {esc(format_value(kmeans.get('nmi')))} against the emotion labels.</p>"
        + '<p class="note">Cosine distances of L2-normalised sentence embeddings (model in the header); '
        "silhouette with the emotion labels as clusters; self-BLEU = mean BLEU-4 of a text against all others "
        "(lower is more diverse).</p>" + image(plots, "embedding_map", "embedding map")
    )


def section_judge(h: dict[str, Any], plots: dict[str, str]) -> str:
    if "skipped" in h:
        return f'<h2>Human-likeness (LLM judge)</h2><p class="note">Skipped: {esc(h["skipped"])}</p>'
    out = (
        f"<h2>Human-likeness (LLM judge)</h2><p>Judge model {esc(h.get('model'))}: "
        f"{h['n_judged']} texts judged, {h['n_failed']} failed.</p>"
    )
    if h.get("mean"):
        criteria = list(h["mean"])
        rows = [["all", *h["mean"].values()]] + [
            [label, *[v[c] for c in criteria]] for label, v in h.get("per_label", {}).items()
        ]
        out += table(["emotion", *criteria], rows) + image(plots, "judge_scores", "judge score distribution")
        out += "<h3>Lowest rated</h3>" + "".join(
            f"<blockquote>[{esc(j['emotion'])}] {esc(j['text'])}<br><span class=note>"
            f"{esc(j['scores'])}: {esc(j['reason'])}</span></blockquote>"
            for j in h.get("lowest", [])
        )
    for error in h.get("errors", []):
        out += f'<p class="warn">{esc(error)}</p>'
    return out


def section_realism(r: dict[str, Any]) -> str:
    cols = [
        "frechet",
        "mmd2_rbf",
        "nn_cosine_mean",
        "nn_cosine_median",
        "near_copy_share",
        "coverage_cosine_mean",
    ]
    rows = [
        [label, v["n_synthetic"], v["n_real"], *[v[c] for c in cols]] for label, v in r["per_label"].items()
    ]
    rows.append(["all", r["n_synthetic"], r["n_real"], *[r[c] for c in cols]])
    ref = r.get("reference_real_train_vs_test")
    if ref:
        rows.append(["(real train vs real test)", ref["n_synthetic"], ref["n_real"], *[ref[c] for c in cols]])
    return (
        "<h2>Realism</h2>"
        + table(
            [
                "emotion",
                "synthetic",
                "real",
                "Frechet",
                "MMD²",
                "NN cos mean",
                "NN cos median",
                "near copies",
                "coverage",
            ],
            rows,
        )
        + '<p class="note">Synthetic texts against the real test split. NN cos: cosine similarity of '
        "each synthetic text to its nearest real text; near copies: share at or above 0.95; coverage: mean "
        "similarity of each real text to its nearest synthetic text. The last row compares the real train "
        "and test splits, a scale for what 'close' means.</p>"
    )


def section_downstream(d: dict[str, Any], plots: dict[str, str]) -> str:
    rows, per_class = [], []
    for source in ("synthetic", "real"):
        for name, title in (("tfidf_lr", "TF-IDF+LR"), ("minilm_lr", "MiniLM+LR")):
            result = (d.get(source) or {}).get(name)
            if result:
                rows.append(
                    [
                        f"{title}, trained on {source}",
                        result["n_train"],
                        result["macro_f1"],
                        result["accuracy"],
                    ]
                )
                per_class.append(
                    [f"{title} ({source})", *[result["per_class_f1"].get(lb) for lb in d["labels"]]]
                )
    images = "".join(image(plots, key, key) for key in sorted(plots) if key.startswith("confusion_"))
    return (
        "<h2>Downstream utility</h2>"
        + f"<p>Tested on {d['n_test']} texts of the real test split.</p>"
        + table(["classifier", "train texts", "macro-F1", "accuracy"], rows)
        + "<h3>F1 per emotion</h3>"
        + table(["classifier", *d["labels"]], per_class)
        + images
    )


def section_population(p: dict[str, Any], plots: dict[str, str]) -> str:
    rows = [
        [
            name,
            a["n_accepted"],
            a["n_before_critics"],
            a["tvd_accepted_vs_target"],
            a["tvd_before_vs_accepted"],
        ]
        for name, a in p["attributes"].items()
    ]
    images = "".join(image(plots, f"population_{name}", name) for name in p["attributes"])
    return (
        f"<h2>Population fidelity (locale {esc(p['locale'])})</h2>"
        + table(
            [
                "attribute",
                "accepted",
                "before critics",
                "TVD accepted vs target",
                "TVD before critics vs accepted",
            ],
            rows,
        )
        + '<p class="note">Total variation distance (0 = identical, 1 = disjoint). Education and family '
        "structure are drawn conditioned on age and occupation, so they can differ from the table's marginal "
        "without any critic.</p>" + images
    )


def section_coverage(c: dict[str, Any], plots: dict[str, str]) -> str:
    """Texts per emotion x scenario attribute and demographic band (metrics.json `coverage`)."""
    rows = [
        [name.replace("_", " "), a["source"], len(a["values"]), a["entropy"], len(a["thin"]),
         ", ".join(f"{t['emotion']} x {t['value']} ({t['count']})" for t in a["thin"][:12])
         + (f" and {len(a['thin']) - 12} more" if len(a["thin"]) > 12 else "")]
        for name, a in c["attributes"].items()
    ]
    scenario = f'<p class="warn">{esc(c["scenario"])}</p>' if c.get("scenario") else ""
    images = "".join(image(plots, f"coverage_{name}", name) for name in c["attributes"])
    return (
        f"<h2>Coverage</h2><p>{c['n_records']} texts, {esc(c['note'])}.</p>{scenario}"
        + table(["attribute", "from", "values", "normalised entropy", f"thin cells (< {c['threshold']})",
                 "thin cells (emotion x value)"], rows)
        + '<p class="note">Normalised entropy: 0 = one value only, 1 = every value seen equally often. A thin '
        "cell is an emotion x value pair with fewer texts than the threshold (empty ones included).</p>" + images
    )


def section_critic_economics(e: dict[str, Any]) -> str:
    """What each critic cost and caught (metrics.json `critic_economics`), and acceptance by attempt."""
    critics = [
        [c["critic"], c["stage"], c["judged"], c["rejected"], f"{c['share']:.0%}", c["calls"],
         c["tokens_in"], c["tokens_out"], c["rewritten"], c["dropped"], c["open"]]
        for c in e["critics"]
    ]
    attempts = sorted({r["attempt"] for rows in e["attempts"].values() for r in rows} | {1, 2, 3})
    by_stage = [
        [stage, *({r["attempt"]: f"{r['accepted']}/{r['candidates']}" for r in rows}.get(a) for a in attempts)]
        for stage, rows in e["attempts"].items()
    ]
    headers = ["critic", "stage", "judged", "rejected", "share of rejections", "model calls", "tokens in",
               "tokens out", "then accepted", "then dropped", "open"]
    return (
        "<h2>Critic economics</h2>" + table(headers, critics)
        + "<h3>Acceptance by attempt (accepted/judged)</h3>"
        + table(["stage", *(f"attempt {a}" for a in attempts)], by_stage)
    )


def embedding_note(metrics: dict[str, Any]) -> str:
    """Which embedding model was used, its folder and the languages it covers (as recorded in metrics.json)."""
    info = metrics.get("embedding") or {}
    languages = info.get("languages")
    covers = f"covers {', '.join(languages)}" if languages else "languages not known"
    where = f", folder {info['path']}" if info.get("path") else ""
    return f"{metrics.get('embedding_model')} ({covers}{where})"


def render_report(metrics: dict[str, Any], plots: dict[str, str]) -> str:
    """The whole report page."""
    parts = [section_summary(metrics)]
    if metrics.get("human_labels"):
        parts.append(section_labels(metrics["human_labels"], table))
    if metrics.get("diversity"):
        parts.append(section_diversity(metrics["diversity"], plots))
    if metrics.get("human_likeness"):
        parts.append(section_judge(metrics["human_likeness"], plots))
    if metrics.get("realism"):
        parts.append(section_realism(metrics["realism"]))
    if metrics.get("downstream"):
        parts.append(section_downstream(metrics["downstream"], plots))
    if (metrics.get("groups") or {}).get("attributes"):
        parts.append(section_groups(metrics["groups"], table))
    if metrics.get("population") and metrics["population"].get("attributes"):
        parts.append(section_population(metrics["population"], plots))
    if (metrics.get("coverage") or {}).get("n_records"):
        parts.append(section_coverage(metrics["coverage"], plots))
    if (metrics.get("critic_economics") or {}).get("critics"):
        parts.append(section_critic_economics(metrics["critic_economics"]))
    real = metrics.get("real")
    source = f"<p>Real corpus: {esc(real['source'])} {esc(real.get('note', ''))}</p>" if real else ""
    title = f"PersonaGen evaluation: {esc(metrics.get('run_id'))}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
        f"<p class=note>method {esc(metrics.get('method'))} · {metrics.get('n_texts')} texts · "
        f"evaluated {esc(metrics.get('evaluated_at'))} · embeddings {esc(embedding_note(metrics))}</p>"
        f"{source}{''.join(parts)}</body></html>"
    )
