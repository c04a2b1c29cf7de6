"""`personagen doctor`: check each model server of the configuration before a run, and say how to pin it.

Per distinct endpoint (every `[models.X]` entry resolved like a run resolves it, deduplicated by (URL, model)):
whether GET /models answers and what it lists, the model chosen, every structured-output mode asked once
(personagen/backends/probe.py, `all_modes`), what the answers showed (the probe's finding, in the words of a
run's probe note: answers running past the output cap), whether the server honours a small output cap, and the
config lines that pin what works. The embedded local model needs no probe and is not started. Keys are never
shown, only the name of the variable they come from.

Exit codes: 0 every endpoint has a working mode; 1 one has none or cannot be reached; 2 bad input (config, no
model named where the server lists several, credentials refused, model not served).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import openai
import typer
from langchain_core.messages import HumanMessage
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from personagen.agents.answers import finish_reason, usage
from personagen.backends.endpoint import (
    NO_KEY,
    BackendUnavailable,
    Endpoint,
    backend_of,
    choose_model,
    resolve,
    served_models,
)
from personagen.backends.model_set import make_chat, probe_endpoint
from personagen.backends.probe import no_mode_error, server_message
from personagen.commands.options import BaseUrl, ConfigFile, Model, backend_values, clean_errors, err_console
from personagen.settings import ConfigError, ModelSettings, Settings, load_settings

CAP = 8  # the output cap of the plain-text check, in tokens
CAP_SLACK = 2  # servers count a token or two differently
CAP_PROMPT = "Count from 1 to 300, the numbers separated by spaces, nothing else."
CAP_TIMEOUT = 30.0
EMBEDDED_NOTE = ("the embedded local model (a llama.cpp server personagen starts itself, structured output by "
                 "function calling): it needs no probe, and doctor does not start it")
Listing = list[str] | None | BackendUnavailable  # what GET /models gave, or why it could not be asked


@dataclass
class Check:
    """What doctor found about one endpoint (`code`: 0 usable, 1 unusable, 2 bad input)."""

    entries: list[str]
    backend: str
    base_url: str | None = None
    model: str | None = None
    key_env: str | None = None
    reachable: bool | None = None
    served: list[str] | None = None
    modes: list[dict[str, Any]] = field(default_factory=list)
    structured_output: str | None = None
    adjust: dict[str, Any] = field(default_factory=dict)
    finding: str | None = None  # the probe's own words on what the answers showed (ProbeReport.finding)
    cap: dict[str, Any] | None = None
    pin: str | None = None
    warning: str | None = None  # works, but not as configured
    problem: str | None = None
    code: int = 0

    def stop(self, problem: str, code: int, secret: str | None = None) -> Check:
        self.problem, self.code = redact(problem, secret), code
        return self


def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret and secret != NO_KEY else text


def compact(detail: str) -> str:
    """A probe detail on one line (pydantic's multi-line validation errors as `field: message; ...`)."""
    parts: list[str] = []
    for line in detail.splitlines():
        text = re.sub(r"\s*\[type=.*$", "", line).strip()
        if not text or text.startswith("For further information"):
            continue
        if line[:1].isspace() and parts:
            parts[-1] += f": {text}"
        else:
            parts.append(text)
    return "; ".join(parts)


def entry_names(settings: Settings) -> list[str]:
    return list(dict.fromkeys(["default", *settings.models]))


def check_all(settings: Settings) -> list[Check]:
    """One check per distinct endpoint of the settings, in config order."""
    checks: dict[tuple, Check] = {}
    served_cache: dict[str, Listing] = {}
    for name in entry_names(settings):
        s = settings.model_for(name)
        key, check, endpoint = locate(name, s, served_cache)
        if key in checks:
            checks[key].entries.append(name)
            continue
        if endpoint is not None and check.model:
            probe_check(check, endpoint, check.model, s)
        checks[key] = check
    return list(checks.values())


def listing(endpoint: Endpoint, cache: dict[str, Listing]) -> Listing:
    """GET /models once per URL (a dead server is asked once, however many entries name it)."""
    if endpoint.base_url not in cache:
        try:
            cache[endpoint.base_url] = served_models(endpoint)
        except BackendUnavailable as exc:
            cache[endpoint.base_url] = exc
    return cache[endpoint.base_url]


def locate(name: str, s: ModelSettings, served_cache: dict[str, Listing]) -> tuple[tuple, Check, Endpoint | None]:
    """(dedup key, check so far, the endpoint to probe or None) of one config entry."""
    backend = backend_of(s)
    if backend == "local":
        check = Check([name], "local", model=s.model_path or "embedded default (Gemma 3 270M)",
                      structured_output="function_calling")
        return ("local", s.model_path), check, None
    try:
        endpoint = resolve(s, backend)
    except ConfigError as exc:
        return ("unresolved", s.base_url, s.model), Check([name], backend, s.base_url, s.model).stop(str(exc), 2), None
    check = Check([name], backend, endpoint.base_url, s.model, endpoint.key_env)
    served = listing(endpoint, served_cache)
    if isinstance(served, BackendUnavailable):
        check.reachable = False
        return (endpoint.base_url, s.model), check.stop(str(served), 1, endpoint.api_key), None
    check.reachable, check.served = True, served
    try:
        check.model = choose_model(s, endpoint, check.served)
    except ConfigError as exc:
        return (endpoint.base_url, None), check.stop(str(exc), 2, endpoint.api_key), None
    return (endpoint.base_url, check.model), check, endpoint


def probe_check(check: Check, endpoint: Endpoint, model: str, s: ModelSettings) -> None:
    """Ask every structured-output mode, check the output cap and write the pin lines."""
    try:
        report = probe_endpoint(endpoint, model, s.model_copy(update={"structured_output": None}),
                                all_modes=True)
    except ConfigError as exc:
        check.stop(str(exc), 2, endpoint.api_key)
        return
    except BackendUnavailable as exc:
        check.stop(str(exc), 1, endpoint.api_key)
        return
    check.modes = [{"mode": r.mode, "ok": r.ok, "detail": redact(compact(r.detail), endpoint.api_key),
                    "latency_s": round(r.latency_s, 3)} for r in report.results]
    check.adjust, check.finding = dict(report.adjust), report.finding
    check.cap = cap_check(endpoint, model, s, report.adjust)
    pinned = s.structured_output if s.structured_output not in (None, "auto") else None
    works = [m["mode"] for m in check.modes if m["ok"]]
    if not works:
        check.stop(str(no_mode_error(report)), 1, endpoint.api_key)
        return
    check.structured_output = pinned if pinned in works else works[0]
    check.pin = pin_lines(check, s)
    if pinned and pinned not in works:
        check.warning = (f"structured_output = \"{pinned}\" is pinned but failed the probe (a run uses it anyway and "
                         f"reads answers in content); {' and '.join(works)} works: pin that instead")


def cap_check(endpoint: Endpoint, model: str, s: ModelSettings, adjust: dict[str, Any]) -> dict[str, Any]:
    """One plain-text request with a small cap: does the server stop at it?"""
    chat = make_chat(endpoint, model, s.model_copy(update={"max_tokens": CAP}), adjust, max_retries=0,
                     timeout=CAP_TIMEOUT)
    result: dict[str, Any] = {"field": chat.cap_field, "cap": CAP, "honoured": None}
    try:
        answer = chat.invoke([HumanMessage(CAP_PROMPT)])
    except openai.APIStatusError as exc:
        return {**result, "detail": f"unknown: {redact(server_message(exc), endpoint.api_key)}"}
    except openai.APIError as exc:
        return {**result, "detail": f"unknown: {redact(str(exc), endpoint.api_key)}"}
    finish, tokens = finish_reason(answer), usage(answer)[1]
    honoured = finish == "length" or (0 < tokens <= CAP + CAP_SLACK)
    detail = (f"yes (as {chat.cap_field})" if honoured else
              f"no: the server ignored {chat.cap_field} (answered {tokens} tokens)")
    return {**result, "honoured": honoured, "finish_reason": finish, "output_tokens": tokens, "detail": detail}


def toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def pin_lines(check: Check, s: ModelSettings) -> str:
    """The config lines that make a run use what the probe found, without probing again."""
    lines = [f"[models.{check.entries[0]}]"]
    if s.backend:
        lines.append(f"backend = {toml_str(s.backend)}")
    lines += [f"base_url = {toml_str(check.base_url or '')}", f"model = {toml_str(check.model or '')}"]
    if check.key_env:
        lines.append(f"api_key_env = {toml_str(check.key_env)}")
    lines.append(f"structured_output = {toml_str(check.structured_output or '')}")
    if check.adjust.get("temperature") == "default":
        lines.append('temperature = "default"      # the model rejects any other temperature')
    if "cap_field" in check.adjust:
        lines.append(f"# the output cap goes out as {check.adjust['cap_field']} (found by the probe on each run)")
    return "\n".join(lines)


def mode_row(mode: dict[str, Any]) -> tuple[str, str, str]:
    result = "[green]works[/]" if mode["ok"] else f"[red]no:[/] {escape(mode['detail'])}"
    return mode["mode"], result, f"{mode['latency_s']:.2f} s"


def endpoint_rows(check: Check) -> list[tuple[str, str, str]]:
    """The table rows of one endpoint: what is known, up to where the check stopped."""
    rows = [("backend", check.backend, "")]
    if check.backend == "local":
        return rows + [("model", escape(check.model or ""), ""), ("probe", escape(EMBEDDED_NOTE), "")]
    rows.append(("key", f"${check.key_env}" if check.key_env else "none sent", ""))
    if check.reachable is False:
        return rows + [("reachable", f"[red]unreachable:[/] {escape(check.problem or '')}", "")]
    if check.reachable:
        rows.append(("reachable", "yes (GET /models)", ""))
        rows.append(("models served", escape(", ".join(check.served or []) or "none listed"), ""))
    if check.model:
        rows.append(("model", escape(check.model), ""))
    rows += [mode_row(mode) for mode in check.modes]
    if check.structured_output:
        rows.append(("structured output", f"[bold]{check.structured_output}[/]", ""))
    if check.adjust:
        rows.append(("adjustments", escape(", ".join(f"{k} {v}" for k, v in check.adjust.items())), ""))
    if check.finding:
        rows.append(("finding", f"[yellow]{escape(check.finding)}[/]", ""))
    if check.cap:
        rows.append(("output cap honoured", escape(check.cap["detail"]), ""))
    if check.warning:
        rows.append(("warning", f"[yellow]{escape(check.warning)}[/]", ""))
    if check.problem:
        rows.append(("problem", f"[red]{escape(check.problem)}[/]", ""))
    return rows


def render(checks: list[Check], console: Console) -> None:
    for check in checks:
        title = f"{check.base_url or 'embedded model'}  (models.{', models.'.join(check.entries)})"
        table = Table(title=escape(title), title_justify="left", show_header=True)
        for name in ("check", "result", "latency"):
            table.add_column(name, overflow="fold")
        for row in endpoint_rows(check):
            table.add_row(*row)
        console.print(table)
        if check.pin:
            console.print("Pin it in the config file:", style="bold")
            console.print(check.pin, markup=False, highlight=False)
        console.print()


def finish(checks: list[Check]) -> None:
    """Exit with the worst code, the first problem as the one red line (as clean_errors prints it; Text keeps
    the brackets of `[models.default]` from being read as markup)."""
    failed = [c for c in checks if c.code]
    if not failed:
        return
    worst = max(c.code for c in failed)
    first = next(c for c in failed if c.code == worst)
    more = f" (and {len(failed) - 1} more endpoint(s) with problems, above)" if len(failed) > 1 else ""
    err_console.print("[bold red]error:[/]", Text(f"{first.problem}{more}"), highlight=False)
    raise typer.Exit(worst)


@clean_errors
def doctor(
    base_url: BaseUrl = None,
    model: Model = None,
    config: ConfigFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON on stdout.")] = False,
) -> None:
    """Check each model server of the configuration: reachable, models, structured-output modes, output cap."""
    settings = load_settings(config, models=backend_values(base_url, model, None))
    checks = check_all(settings)
    if as_json:
        code = max((c.code for c in checks), default=0)
        print(json.dumps({"endpoints": [asdict(c) for c in checks], "exit_code": code}, indent=2))
    else:
        render(checks, Console(highlight=False))
    finish(checks)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
