"""Run settings: the config file (TOML) merged with command-line options, validated into one object.

Config file (all sections optional):

    [run]       personas (or texts), emotions, texts_per_emotion, locale, language, seed, concurrency, method,
                stages, shard ("I/N"), token_budget, max_cost (USD, docs/costs.md)
    [limits]    base_attempts, socio_attempts, scenario_attempts, text_attempts,
                early_stop_answers, early_stop_personas, early_stop_share
    [critics]   enable = [...], disable = [...], on_error = "skip" | "stop", advisory = [...], feedback = true
    [models.default]   backend, base_url, model, api_key_env, structured_output, temperature, reasoning_effort,
                       max_tokens, concurrency, timeout, max_retries, price_in_per_mtok, price_out_per_mtok,
                       price_cached_in_per_mtok, batch_discount (prices: personagen/pricing.py)
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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from personagen.agents.context import Limits
from personagen.errors import InputError


class ConfigError(InputError):
    """A config file or option is wrong; the message says where and what to do."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSettings(Strict):
    """One model endpoint. Unset fields fall back to `models.default`, then to built-in defaults."""

    backend: Literal["openai", "openai-compatible", "local"] | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    # auto (the default off the embedded model): probe the endpoint once and take the first mode that works
    structured_output: Literal["auto", "json_schema", "function_calling", "json_mode"] | None = None
    # "default": send no temperature (reasoning models reject any other value than their default)
    temperature: float | Literal["default"] | None = Field(default=None)
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    max_tokens: int | None = Field(default=None, gt=0)
    concurrency: int | None = Field(default=None, gt=0)
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    model_path: str | None = None
    price_in_per_mtok: float | None = Field(default=None, ge=0)  # cost of a million prompt tokens
    price_out_per_mtok: float | None = Field(default=None, ge=0)  # cost of a million completion tokens
    price_cached_in_per_mtok: float | None = Field(default=None, ge=0, description=(
        "USD per million prompt tokens served from the provider's prompt cache (default: the price table's, else "
        "price_in_per_mtok)"))
    batch_discount: float | None = Field(default=None, ge=0, lt=1, description=(
        "share of the price the provider's batch API takes off (0.5: half price)"))

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
    enable: list[str] | None = None
    disable: list[str] = Field(default_factory=list)
    on_error: Literal["skip", "stop"] = "skip"
    advisory: list[str] | None = None  # None: LLM critics on the embedded demo model are advisory
    feedback: bool = True  # a rewrite's prompt carries the rejected draft and the blocking reasons


class RunSettings(Strict):
    personas: int = Field(default=10, gt=0, le=10_000_000)
    # instead of personas: top up personas until each emotion has its share of these texts (personagen/quotas.py)
    texts: int | None = Field(default=None, gt=0, le=100_000_000)
    emotions: str = "default"
    texts_per_emotion: int = Field(default=2, gt=0, le=100)
    locale: str = "us"
    language: Literal["en", "ja"] = "en"
    seed: int = 0
    concurrency: int = Field(default=8, gt=0, le=4096)
    method: Literal["personagen", "baseline"] = "personagen"
    stages: Literal["base", "base+socio", "full"] = "full"
    shard: str | None = Field(default=None, pattern=r"^\d+/[1-9]\d*$")  # "I/N": persona indices with index % N == I
    token_budget: int | None = Field(default=None, gt=0)  # stop (status "budget") once the run used this many tokens
    max_cost: float | None = Field(default=None, gt=0, description=(
        "USD cap of the run: no request is sent whose worst case (prompt + output cap) could pass it; the run stops "
        "(status budget, resumable)"))
    curate: bool = Field(default=True, exclude=True)  # curate when finished (docs/curation.md); not in dumps

    @field_validator("emotions", mode="before")
    @classmethod
    def join_list(cls, v: Any) -> Any:
        return ",".join(v) if isinstance(v, list) else v


SCENARIO_ATTRIBUTES = ("location", "activity", "partner", "medium", "language_style")


class CoverageSettings(Strict):
    """How scenario values are drawn (personas/scenario_slots.py): attributes in `balance` are spread evenly over
    the personas (stratified), the others drawn independently; `weights` give values more (or 0: no) share."""

    balance: list[Literal[SCENARIO_ATTRIBUTES]] = Field(default_factory=lambda: list(SCENARIO_ATTRIBUTES))
    weights: dict[str, dict[str, int]] = Field(default_factory=dict)


class ScaleSettings(Strict):
    """How a run is spread over processes or machines; it never changes the dataset (docs/scaling.md)."""

    executor: Literal["local", "ray"] = "local"  # local: this process; ray: one Ray task per shard
    address: str | None = None  # None: a local Ray instance; "auto" or "ray://HOST:10001": an existing cluster
    shards: int | None = Field(default=None, gt=0, le=100_000)  # None: the Ray cluster's CPUs
    num_cpus: int | None = Field(default=None, gt=0)  # CPUs of a local Ray instance (None: `shards`, else all)
    storage: str | None = None  # folder of the shard runs, the same path on every node (None: --runs-dir)
    max_retries: int = Field(default=3, ge=0)  # resumes of a shard whose worker died, per shard


class Settings(Strict):
    run: RunSettings = Field(default_factory=RunSettings)
    limits: Limits = Field(default_factory=Limits)
    critics: CriticSettings = Field(default_factory=CriticSettings)
    models: dict[str, ModelSettings] = Field(default_factory=dict)
    scenario_vocab: dict[str, list[str]] | None = None
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    # how, not what: left out of dumps (config.json `settings`); the Ray driver keeps it in its ray.json
    scale: ScaleSettings = Field(default_factory=ScaleSettings, exclude=True)

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
