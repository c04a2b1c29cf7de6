"""Run settings: the config file (TOML) merged with command-line options, validated into one object.

Config file (all sections optional):

    [run]       personas (or texts), emotions, texts_per_emotion, locale, language, seed, concurrency, method,
                stages, shard ("I/N"), token_budget, max_cost (USD, docs/costs.md)
    [limits]    base_attempts, socio_attempts, scenario_attempts, text_attempts,
                early_stop_answers, early_stop_personas, early_stop_share
    [critics]   enable = [...], disable = [...], on_error = "skip" | "stop", advisory = [...], feedback = true
    [models.default]   backend, base_url, model, api_key_env, structured_output, temperature, reasoning_effort,
                       max_tokens, concurrency, timeout, max_retries, price_in_per_mtok, price_out_per_mtok,
                       price_cached_in_per_mtok, batch_discount (prices: personagen/pricing.py), batch
    [batch]     window_s, poll_s, max_requests, personas_in_flight (batch mode: docs/batch.md)
    [models.<agent or critic name>]   the same keys; unset ones are taken from models.default, except that an
                       entry naming its own `backend` takes nothing endpoint-specific (ENDPOINT_FIELDS) from it
    [scenario_vocab]   overrides of the scenario vocabularies
    [coverage]  balance = [scenario attributes drawn balanced], weights.<attribute> = {value = weight}
    [scale]     executor = "local" | "ray", address, shards, num_cpus, storage, max_retries (docs/scaling.md)

API keys are never read from the file: `api_key_env` names the environment variable that holds one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from personagen.agents.context import Limits
from personagen.errors import InputError


class ConfigError(InputError):
    """A config file or option is wrong; the message says where and what to do."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSettings(Strict):
    """One model endpoint. Unset fields fall back to `models.default`, then to built-in defaults."""

    backend: Literal["openai", "openai-compatible", "local"] | None = Field(default=None, description=(
        "Which kind of server. Not set: `local` (the embedded model) unless a base_url, a model or OPENAI_API_KEY "
        "says otherwise. An entry naming its own backend takes no endpoint field from models.default."))
    base_url: str | None = Field(default=None, description="The OpenAI-compatible endpoint, e.g. "
                                 "`http://localhost:8000/v1`.")
    model: str | None = Field(default=None, description="The model name. Not set: the one model the server lists.")
    api_key_env: str | None = Field(default=None, description=(
        "Name of the environment variable holding the key (never the key). Not set: OPENAI_API_KEY for OpenAI's "
        "endpoint, else PERSONAGEN_API_KEY, else no key."))
    # auto (the default off the embedded model): probe the endpoint once and take the first mode that works
    structured_output: Literal["auto", "json_schema", "function_calling", "json_mode"] | None = Field(
        default=None, description="How answers are structured. Not set or `auto`: the endpoint is probed once per run "
        "and the first mode that works is used; a pinned mode is used even when its probe fails.")
    # "default": send no temperature (reasoning models reject any other value than their default)
    temperature: float | Literal["default"] | None = Field(default=None, description=(
        "Sampling temperature, 0 to 2; `\"default\"` sends none (reasoning models reject any other value). Not set: "
        "the server's default (0.8 on the embedded model)."))
    # https://platform.openai.com/docs/api-reference/chat/create (seed); llama-server reads it on
    # /v1/chat/completions too (https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md, `seed`)
    seed: int | None = Field(default=None, description=(
        "Sent as `seed` with every request: servers that honour it (OpenAI's best effort, llama-server, vLLM) "
        "sample the same answer to the same prompt, so a run on a server with one slot (llama-server "
        "`--parallel 1`) can be repeated answer for answer. Not set: none sent (the server draws one)."))
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = Field(
        default=None, description="Sent to reasoning models only. Not set: the model's default.")
    max_tokens: int | None = Field(default=None, gt=0, description=(
        "Output cap per answer. Not set: 600 (8,000 for reasoning models, whose reasoning counts in it; 200 on the "
        "embedded model)."))
    concurrency: int | None = Field(default=None, gt=0, description=(
        "Calls in flight to this endpoint. Not set: 64 (1 on the embedded model, which serves one at a time)."))
    timeout: float | None = Field(default=None, gt=0, description="Seconds per call. Not set: 120.")
    max_retries: int | None = Field(default=None, ge=0, description=(
        "Retries of a call that failed for a transient reason (connection, 429, 5xx). Not set: 6."))
    model_path: str | None = Field(default=None, description=(
        "A GGUF file for the embedded model (backend local). Not set: the shipped Gemma 3 270M."))
    price_in_per_mtok: float | None = Field(default=None, ge=0, description=(
        "USD per million prompt tokens, for the cost in the summary, `inspect` and `--max-cost`. Not set: the price "
        "table's price for the model, else no cost."))
    price_out_per_mtok: float | None = Field(default=None, ge=0, description=(
        "USD per million completion tokens. Not set: the price table's, else no cost."))
    price_cached_in_per_mtok: float | None = Field(default=None, ge=0, description=(
        "USD per million prompt tokens served from the provider's prompt cache (default: the price table's, else "
        "price_in_per_mtok)"))
    batch_discount: float | None = Field(default=None, ge=0, lt=1, description=(
        "share of the price the provider's batch API takes off (0.5: half price)"))
    batch: bool | None = Field(default=None, description=(
        "Send this entry's calls through the provider's Batch API (OpenAI, Azure OpenAI, Groq, Together) at its "
        "batch price; each dependent step of a persona then waits for one batch, up to the provider's completion "
        "window (docs/batch.md). `--batch` sets it for every entry."))

    @field_validator("temperature")
    @classmethod
    def temperature_range(cls, v: Any) -> Any:
        if isinstance(v, float | int) and not 0.0 <= v <= 2.0:
            raise ValueError("temperature must be between 0 and 2, or \"default\" to send none")
        return v

    def merged_over(self, default: ModelSettings) -> ModelSettings:
        """These settings over `default`; an entry with its own backend is another endpoint: it keeps none of
        the default's endpoint fields (its URL, key variable, model name, output mode)."""
        if self.backend:
            default = default.model_copy(update={name: None for name in ENDPOINT_FIELDS})
        return default.model_copy(update=self.model_dump(exclude_none=True))


ENDPOINT_FIELDS = ("base_url", "api_key_env", "model", "model_path", "structured_output")


class CriticSettings(Strict):
    enable: list[str] | None = Field(default=None, description=(
        "Run only these critics (`personagen critics` lists them). Not set: every registered critic."))
    disable: list[str] = Field(default_factory=list, description="Critics left out.")
    on_error: Literal["skip", "stop"] = Field(default="skip", description=(
        "A critic that fails (raises): `skip` records an error event and goes on; `stop` stops the run cleanly."))
    advisory: list[str] | None = Field(default=None, description=(
        "Critics whose verdicts are recorded but never enforced. Not set: the LLM critics on the embedded demo "
        "model; elsewhere `offline_strength` (the flat-text check, enforced on the embedded model only)."))
    feedback: bool = Field(default=True, description=(
        "A rewrite's prompt carries the rejected draft and the blocking critics' reasons."))
    controls: list[str] = Field(default_factory=list, description=(
        "LLM critics (plausibility, consistency, emotion_fidelity) that must judge their control cases right "
        "(obvious passes and failures) before their verdicts are enforced; one that gets any wrong stops the run "
        "(exit 1): its model cannot make that judgement. Advisory critics are not checked."))


class BatchSettings(Strict):
    """How batch mode gathers, submits and polls (docs/batch.md); it never changes the dataset."""

    window_s: float = Field(default=2.0, gt=0, description=(
        "Seconds without a new request before the requests gathered go out as one batch."))
    poll_s: float = Field(default=30.0, gt=0, description="Seconds between status checks of the batches in flight.")
    max_requests: int = Field(default=50_000, gt=0, le=50_000, description=(
        "Requests per batch file at most (OpenAI, Azure OpenAI and Together take 50,000)."))
    personas_in_flight: int = Field(default=1000, gt=0, le=4096, description=(
        "Persona threads in flight in batch mode (instead of `[run] concurrency`, if larger): every persona in "
        "flight puts its next step into the same batch, so more personas make fewer batch rounds."))


class RunSettings(Strict):
    personas: int = Field(default=10, gt=0, le=10_000_000, description="How many personas (`-n`).")
    # instead of personas: top up personas until each emotion has its share of these texts (personagen/quotas.py)
    texts: int | None = Field(default=None, gt=0, le=100_000_000, description=(
        "Instead of personas (`--texts`): personas in rounds until each emotion has its share of this many kept "
        "texts (docs/curation.md, \"Quotas\")."))
    emotions: str = Field(default="default", description=(
        "A preset (`default`, `ekman6`, `plutchik8`, `personagen`) or a comma list (a TOML list works too)."))
    texts_per_emotion: int = Field(default=2, gt=0, le=100, description="Texts per emotion and persona (`-k`).")
    drafts: int | None = Field(default=None, gt=0, le=10, description=(
        "Drafts the writer makes per text slot and attempt (its call made that many times); the best one by the rule "
        "critics' scores goes to the critics (`--drafts`). Not set: 3 on the embedded model, 1 elsewhere."))
    locale: str = Field(default="us", description="Demographic tables: `us` or `jp`.")
    language: Literal["en", "ja"] = Field(default="en", description="Language of the texts.")
    seed: int = Field(default=0, description="Run seed; persona i gets a seed derived from (seed, i).")
    concurrency: int = Field(default=8, gt=0, le=4096, description="Persona threads in flight.")
    method: Literal["personagen", "baseline"] = Field(default="personagen", description=(
        "`baseline`: an emotion-only prompt, no persona (the paper's baseline)."))
    stages: Literal["base", "base+socio", "full"] = Field(default="full", description=(
        "Which persona stages condition the writer (ablations)."))
    shard: str | None = Field(default=None, pattern=r"^\d+/[1-9]\d*$", description=(
        "`I/N`: only the personas whose index % N == I (`personagen merge` joins the shards)."))
    token_budget: int | None = Field(default=None, gt=0, description=(
        "Stop (status `budget`, exit 3, resumable) once the run used this many tokens (`--max-tokens`)."))
    max_cost: float | None = Field(default=None, gt=0, description=(
        "USD cap of the run: no request is sent whose worst case (prompt + output cap) could pass it; the run stops "
        "(status budget, resumable)"))
    curate: bool = Field(default=True, description=(
        "Curate near-duplicates when the run finishes (docs/curation.md); `false` is `--no-curate`. Stored with "
        "the run: a resume keeps it (it is part of the dataset signature)."))

    @field_validator("emotions", mode="before")
    @classmethod
    def join_list(cls, v: Any) -> Any:
        return ",".join(v) if isinstance(v, list) else v


ScenarioAttribute = Literal["location", "activity", "partner", "medium", "language_style"]
SCENARIO_ATTRIBUTES: tuple[ScenarioAttribute, ...] = get_args(ScenarioAttribute)


class CoverageSettings(Strict):
    """How scenario values are drawn (personas/scenario_slots.py): attributes in `balance` are spread evenly over
    the personas (stratified), the others drawn independently; `weights` give values more (or 0: no) share."""

    balance: list[ScenarioAttribute] = Field(default_factory=lambda: list(SCENARIO_ATTRIBUTES),
                                                        description="Scenario attributes spread evenly over the "
                                                        "personas; the others are drawn independently.")
    weights: dict[str, dict[str, int]] = Field(default_factory=dict, description=(
        "Per attribute, `{value = weight}`: a larger share for a value, or 0 for none."))


class ScaleSettings(Strict):
    """How a run is spread over processes or machines; it never changes the dataset (docs/scaling.md)."""

    executor: Literal["local", "ray"] = Field(default="local", description=(
        "`local`: this process; `ray`: one Ray task per shard (`--ray`)."))
    address: str | None = Field(default=None, description=(
        "`auto` or `ray://HOST:10001`: an existing Ray cluster. Not set: a local Ray instance."))
    shards: int | None = Field(default=None, gt=0, le=100_000, description="Shards of a Ray run. Not set: the "
                               "cluster's CPUs.")
    num_cpus: int | None = Field(default=None, gt=0, description=(
        "CPUs of a local Ray instance. Not set: `shards`, else all."))
    storage: str | None = Field(default=None, description=(
        "Folder of the shard runs, the same path on every node. Not set: `--runs-dir`."))
    max_retries: int = Field(default=3, ge=0, description="Resumes of a shard whose worker died, per shard.")


class Settings(Strict):
    run: RunSettings = Field(default_factory=RunSettings, description=(
        "What to generate; the options of `personagen run` override these keys."))
    limits: Limits = Field(default_factory=Limits, description=(
        "Bounds of the critic loops, and when a run that cannot succeed stops early."))
    critics: CriticSettings = Field(default_factory=CriticSettings, description=(
        "Which critics run and how (`--critic`, `--no-critic` override enable and disable)."))
    models: dict[str, ModelSettings] = Field(default_factory=dict, description=(
        "`[models.default]` is every agent's model; `[models.<agent or critic name>]` (e.g. `emotion_writer`, "
        "`emotion_fidelity`) sets one agent's keys over it. An unset key is taken from models.default, except that "
        "an entry naming its own `backend` takes no endpoint key (base_url, api_key_env, model, model_path, "
        "structured_output) from it. `--base-url`, `--model` and `--model-path` set models.default."))
    scenario_vocab: dict[str, list[str]] | None = Field(default=None, description=(
        "Replacement lists for the scenario vocabularies, by attribute (location, activity, partner, medium, "
        "language_style), e.g. `location = [\"a train\", \"a kitchen\"]`; an empty list or an unknown attribute is "
        "an error."))
    coverage: CoverageSettings = Field(default_factory=CoverageSettings, description=(
        "How scenario values are drawn (personas/scenario_slots.py)."))
    batch: BatchSettings = Field(default_factory=BatchSettings, exclude=True, description=(
        "How batch mode gathers and polls requests (`[models.X] batch = true` or `--batch` turns it on)."))
    # how, not what: left out of dumps (config.json `settings`); the Ray driver keeps it in its ray.json
    scale: ScaleSettings = Field(default_factory=ScaleSettings, exclude=True, description=(
        "How a run is spread over processes or machines; it never changes the dataset (docs/scaling.md)."))

    def model_for(self, agent: str) -> ModelSettings:
        default = self.models.get("default", ModelSettings())
        own = self.models.get(agent)
        return own.merged_over(default) if own else default


SECRET_WORDS = ("key", "token", "secret", "password")


def describe(error: ValidationError, source: str) -> str:
    """One line per problem (at most 5). A value is shown only for known fields: an unknown one may be a secret."""
    parts = []
    for e in error.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden" and any(w in str(e["loc"][-1]).lower() for w in SECRET_WORDS):
            parts.append(f"{where}: keys are never read from the config file; export the key in an environment "
                         "variable and name that variable with api_key_env")
            continue
        shown = "input" in e and e["type"] not in ("missing", "extra_forbidden")
        got = f" (got {e['input']!r})" if shown else ""
        parts.append(f"{where}: {e['msg']}{got}")
    return f"{source}: " + "; ".join(parts)


def read_config(path: Path | None) -> dict[str, Any]:
    """The raw config file as a dict ({} without one)."""
    if path is None:
        return {}
    if not path.is_file():
        raise ConfigError(f"config file {path} not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def check_size_choice(file_run: dict[str, Any], given: dict[str, Any], source: str) -> None:
    """A run is sized by personas or by texts, not both: given together (file, options or one each) is an error,
    except that an option overrides the file's choice."""
    if given.get("personas") is not None and given.get("texts") is not None:
        raise ConfigError("options: give --personas or --texts, not both")
    if "personas" in file_run and "texts" in file_run:
        raise ConfigError(f"{source}: [run] has both personas and texts; keep one")
    if given.get("personas") is not None:
        file_run.pop("texts", None)
    if given.get("texts") is not None:
        file_run.pop("personas", None)


def load_settings(config: Path | None, run: dict[str, Any] | None = None, models: dict[str, Any] | None = None,
                  critics: dict[str, Any] | None = None) -> Settings:
    """Settings from the config file, overridden by command-line values (None means 'not given')."""
    raw = read_config(config)
    check_size_choice(raw.get("run", {}), run or {}, str(config) if config else "options")
    for section, values in (("run", run), ("critics", critics)):
        given = {k: v for k, v in (values or {}).items() if v is not None}
        raw[section] = {**raw.get(section, {}), **given}
    given_models = {k: v for k, v in (models or {}).items() if v is not None}
    if given_models:
        raw.setdefault("models", {})
        raw["models"]["default"] = {**raw["models"].get("default", {}), **given_models}
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, str(config) if config else "options")) from None
