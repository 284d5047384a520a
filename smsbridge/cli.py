"""The ``smsbridge`` command (SPEC §4): thin click commands over the public Python API.

Each command parses, calls :class:`~smsbridge.Bridge`, prints.  Expected failures
(:class:`~smsbridge.errors.SmsBridgeError`) become one line on stderr and a non-zero
exit status — 2 for configuration errors, 1 for everything else — never a traceback.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click

from .errors import ConfigError, SmsBridgeError
from .model import Status

__all__ = ["main", "cli"]

log = logging.getLogger("smsbridge.cli")


def user_store_path() -> str:
    """The CLI's journal when a config names no ``store:``: a per-user data directory.

    ``platformdirs`` conventions (``$XDG_DATA_HOME/smsbridge``, else
    ``~/.local/share/smsbridge`` on Linux; ``~/Library/Application Support`` on macOS;
    ``%LOCALAPPDATA%`` on Windows). Commands are separate processes, so an in-memory
    journal would forget every message between ``send`` and ``status``; the library
    (``Bridge.from_dict``/``from_config``) keeps in-memory as its default.
    """
    import platformdirs

    return os.path.join(platformdirs.user_data_dir("smsbridge", appauthor=False), "journal.sqlite3")


class _Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._bridge: Any = None
        self.store_origin = "config"
        """Where the journal's path came from: ``config`` (its ``store:``) or ``per-user default``."""

    def bridge(self) -> Any:
        if self._bridge is None:
            from . import config as config_mod
            from .bridge import Bridge

            cfg = config_mod.load(self.config_path)
            if cfg.store is None:
                cfg.store = user_store_path()
                self.store_origin = "per-user default"
            _log_filter.secrets |= _secrets_of(cfg)
            self._bridge = Bridge(cfg)
            log.info("config %s; journal %s (%s)", cfg.source, cfg.store, self.store_origin)
        return self._bridge

    def close(self) -> None:
        if self._bridge is not None:
            self._bridge.close()


@contextmanager
def _errors(as_json: bool = False) -> Iterator[None]:
    """Turn expected errors into one clear stderr line and an exit status.

    With ``--json`` the error is a JSON object on stdout instead (where the command's JSON
    would have been), ``{"error": text, "type": class name, "message_id": id or null}``,
    with the same exit status: 2 for configuration errors, 1 otherwise.
    """
    try:
        yield
    except BrokenPipeError:
        raise  # the reader went away (``smsbridge journal | head``): click ends quietly on EPIPE
    except (SmsBridgeError, OSError, csv.Error, UnicodeDecodeError) as exc:
        status = 2 if isinstance(exc, ConfigError) else 1
        message_id = getattr(exc, "message_id", None) if isinstance(exc, SmsBridgeError) else None
        if as_json:
            click.echo(json.dumps({"error": str(exc), "type": type(exc).__name__, "message_id": message_id},
                                  ensure_ascii=False))
        elif isinstance(exc, ConfigError) or not isinstance(exc, SmsBridgeError):
            click.echo(f"error: {exc}", err=True)
        else:
            extra = f" (message id {message_id})" if message_id else ""
            click.echo(f"error: {type(exc).__name__}: {exc}{extra}", err=True)
        sys.exit(status)


def _emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str) if as_json else text)


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")


_HOISTED = {"--config": True, "-v": False, "--verbose": False, "--debug": False}
"""Group options also accepted after the subcommand (``smsbridge send … --config x.yaml``),
as users of twilio-cli and Apprise type them: name -> takes a value."""


class _Cli(click.Group):
    """The top-level group: moves :data:`_HOISTED` options written after the subcommand to
    the front, where click parses group options (everything after ``--`` is left alone)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        front: list[str] = []
        rest: list[str] = []
        config: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                rest.extend(args[i:])
                break
            name, eq, value = arg.partition("=")
            if name in _HOISTED and i > 0 and not (eq and not _HOISTED[name]):
                if _HOISTED[name]:
                    if eq:
                        config = [name, value]
                    elif i + 1 < len(args):
                        config = [name, args[i + 1]]
                        i += 1
                    else:
                        rest.append(arg)  # click reports the missing value
                else:
                    front.append(arg)
            elif arg.startswith("-v") and len(arg) > 2 and set(arg[1:]) == {"v"} and i > 0:
                front.append(arg)  # -vv
            else:
                rest.append(arg)
            i += 1
        return super().parse_args(ctx, front + config + rest)


class _RedactingFilter(logging.Filter):
    """Masks credentials in every log line the CLI prints: the config's secret values, and
    whatever :func:`smsbridge.errors.redact` recognises (auth headers, tokens in URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        from .errors import redact

        text = redact(record.getMessage())
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        record.msg, record.args = text, None
        return True


_log_filter = _RedactingFilter()


def _secrets_of(config: Any) -> set[str]:
    """String values of secret-looking keys (password, token, secret, key) anywhere in the
    config's backends and gateway clients: what the log filter masks."""
    from .config import _looks_secret

    found: set[str] = set()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(value, str) and len(value) >= 4 and _looks_secret(path):
            found.add(value)

    walk(config.backends, "backends")
    walk(config.gateway, "gateway")
    return found


def _setup_logging(verbosity: int) -> None:
    """``-v``: smsbridge's INFO lines; ``-vv`` (or ``--debug``): DEBUG from every library
    (requests/urllib3, zeep, ...). On stderr, secrets masked. Without either: warnings only."""
    if verbosity <= 0:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_log_filter)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
    logging.getLogger("smsbridge").setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("smsbridge")
    except PackageNotFoundError:
        return "unknown"


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="SMSBRIDGE_CONFIG", type=click.Path(dir_okay=False),
              help="Config file (default: $SMSBRIDGE_CONFIG, else ./smsbridge.yaml). Also accepted after the"
                   " command.")
@click.option("--verbose", "-v", "verbosity", count=True,
              help="More log output on stderr: -v shows what smsbridge does, -vv adds HTTP/SOAP debugging."
                   " Secrets are masked.")
@click.option("--debug", is_flag=True, help="The same as -vv.")
@click.version_option(_version(), "--version", "-V", prog_name="smsbridge",
                      message="%(prog)s %(version)s", help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbosity: int, debug: bool) -> None:
    """smsbridge: send SMS through any provider, configured in YAML.

    Shell completion: eval "$(_SMSBRIDGE_COMPLETE=bash_source smsbridge)" in ~/.bashrc
    (zsh_source for ~/.zshrc, fish_source for fish).
    """
    _setup_logging(2 if debug else verbosity)
    state = _Context(config_path)
    ctx.obj = state
    ctx.call_on_close(state.close)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _attempts(bridge: Any, message_id: str | None) -> list[dict[str, Any]]:
    """The backends a send tried, from its journal record: ``{"backend", "outcome"}``,
    ``outcome`` None for the one that took it."""
    if not message_id:
        return []
    try:
        record = bridge.record(message_id)
    except SmsBridgeError:
        return []
    return [{"backend": a.get("backend"), "outcome": a.get("outcome")}
            for a in record.attempts or () if isinstance(a, Mapping)]


def _failover_note(attempts: list[dict[str, Any]]) -> str:
    """``" (primary: refused, certainly not sent)"`` for each backend that did not take it."""
    notes = []
    for a in attempts:
        outcome = a.get("outcome") or ""
        if outcome.startswith("skipped"):
            notes.append(f"{a['backend']}: skipped, circuit breaker open")
        elif outcome:
            notes.append(f"{a['backend']}: refused, certainly not sent")
    return f" ({'; '.join(notes)})" if notes else ""


@cli.command()
@click.argument("to")
@click.argument("text")
@click.option("--backend", "-b", help="Send through this configured backend (bypasses routes).")
@click.option("--sender", "-s", help="Sender id or number.")
@click.option("--reference", help="Your own label, passed to the provider as its client reference.")
@click.option("--dry-run", "-n", is_flag=True,
              help="Check and show what would happen (backend, failover chain, segments, encoding); send nothing.")
@click.option("--at", "send_at", metavar="DATETIME",
              help="Schedule the message: ISO 8601 (2026-12-24T18:00+01:00; no offset = UTC). Sent when due by"
                   " 'smsbridge serve' or 'smsbridge dispatch'.")
@json_option
@click.pass_obj
def send(obj: _Context, to: str, text: str, backend: str | None, sender: str | None, reference: str | None,
         dry_run: bool, send_at: str | None, as_json: bool) -> None:
    """Send one message TO (E.164 or national) with TEXT."""
    with _errors(as_json):
        bridge = obj.bridge()
        if dry_run:
            plan = bridge.plan(to, text, backend=backend, sender=sender, reference=reference)
            chain = " -> ".join(f"{b['name']}{' (circuit open: skipped)' if b['breaker'] == 'open' else ''}"
                                for b in plan["backends"])
            _emit({"dry_run": True, **plan}, as_json,
                  f"dry run: would send to {plan['to']} via {chain}: {_plural(plan['segments'], 'segment')} "
                  f"({plan['encoding']}), sender {plan['sender'] or '(backend default)'}; nothing sent")
            return
        when = _parse_at(send_at) if send_at is not None else None
        try:
            receipt = bridge.send(to, text, backend=backend, sender=sender, reference=reference, send_at=when)
        except SmsBridgeError as exc:
            attempts = _attempts(bridge, exc.message_id)
            if as_json:
                click.echo(json.dumps({"error": str(exc), "type": type(exc).__name__, "message_id": exc.message_id,
                                       "attempts": attempts}, ensure_ascii=False))
                sys.exit(2 if isinstance(exc, ConfigError) else 1)
            raise
        if receipt.status.value == "scheduled" and when is not None:
            _emit(receipt.as_dict(), as_json, f"scheduled {receipt.id} for {when.isoformat()} to {receipt.to}")
            return
        attempts = _attempts(bridge, receipt.id)
        for a in attempts:
            log.info("attempt: %s: %s", a["backend"], a["outcome"] or "accepted")
        _emit({**receipt.as_dict(), "attempts": attempts}, as_json,
              f"sent {receipt.id} via {receipt.backend}{_failover_note(attempts)}: {receipt.status}, "
              f"{_plural(receipt.segments, 'segment')} ({receipt.encoding}) to {receipt.to}, provider id "
              f"{receipt.provider_id}")


@cli.command()
@click.argument("file", type=click.File("rb"))
@click.option("--concurrency", "-c", default=8, show_default=True, type=click.IntRange(1, 256),
              help="How many messages are in flight at once.")
@click.option("--out", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write the per-row results, one per input row (default: stdout).")
@click.option("--json", "as_json", is_flag=True,
              help="Write one JSON object per row (JSON lines) instead of the result CSV; the summary goes to stderr"
                   " as JSON.")
@click.option("--delimiter", "-d", metavar="CHAR",
              help="Column separator of FILE (default: sniffed from the header: comma, semicolon, tab or |).")
@click.option("--encoding", "-e", metavar="NAME",
              help="Text encoding of FILE (default: sniffed: a BOM, else UTF-8, else cp1250 as Hungarian Excel"
                   " saves it).")
@click.option("--again", is_flag=True,
              help="Send every row anew. Default: a row an earlier run sent (same 'key' column, else same content"
                   " and occurrence) is not sent twice.")
@click.option("--dry-run", "-n", is_flag=True,
              help="Check every row and show what would happen (backend, segments, encoding, already sent);"
                   " send and journal nothing.")
@click.option("--queue", "queue_url", envvar="SMSBRIDGE_QUEUE", metavar="URL",
              help="Enqueue the rows not yet sent on this Celery broker (redis://...) for 'smsbridge worker' to"
                   " send, instead of sending them from this process.")
@click.pass_obj
def bulk(obj: _Context, file: Any, concurrency: int, out: Any, as_json: bool, delimiter: str | None,
         encoding: str | None, again: bool, dry_run: bool, queue_url: str | None) -> None:
    """Send every row of a CSV FILE (- for stdin) with columns to,text (optional sender, reference, backend, key).

    Re-running a file, edited, reordered, copied or piped, sends only the rows not yet
    sent. Each row's result (sent, already-sent, failed, unknown) is written to --out; a
    progress bar counts rows on stderr when it is a terminal; a summary ends on stderr.
    Exit status 1 when a row failed or its outcome is unknown.
    """
    from .bulk import OUTCOMES, RESULT_FIELDS, BulkFile, result_row, send_rows
    from .progress import ProgressBar

    with _errors():
        bridge = obj.bridge()
        source = BulkFile(file, encoding=encoding, delimiter=delimiter, keyed=not again,
                          origin=os.path.abspath(getattr(file, "name", None) or "<stdin>"))
        if dry_run:
            _bulk_plan(bridge, source, out, as_json)
            return
        if queue_url:
            _enqueue(obj, source, queue_url)
            return
        writer = None if as_json else csv.DictWriter(out, fieldnames=RESULT_FIELDS)
        if writer is not None:
            writer.writeheader()
        counts = dict.fromkeys(OUTCOMES, 0)
        bar = ProgressBar(source.total, sys.stderr)
        # Results on the same terminal as the bar: erase the bar before each line of output.
        shared = bar.enabled and _isatty(out)
        try:
            for row, result in send_rows(bridge, source.rows(), concurrency=concurrency,
                                         legacy_prefix=source.legacy_prefix):
                line = result_row(row.number, row, result)
                counts[line["result"]] += 1
                if shared:
                    bar.clear()
                if writer is not None:
                    writer.writerow(line)
                else:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                if shared:
                    out.flush()
                bar.update()
        finally:
            bar.close()
        out.flush()
        if as_json:
            click.echo(json.dumps({"total": source.total, **counts}), err=True)
        else:
            click.echo(f"{counts['sent']} sent, {counts['already-sent']} already sent, {counts['failed']} failed,"
                       f" {counts['unknown']} unknown (of {source.total} rows)", err=True)
        if counts["failed"] or counts["unknown"]:
            sys.exit(1)


def _bulk_plan(bridge: Any, source: Any, out: Any, as_json: bool) -> None:
    """``bulk --dry-run``: one result row per input row, a summary; nothing sent."""
    from .bulk import PLAN_OUTCOMES, RESULT_FIELDS, plan_rows

    writer = None if as_json else csv.DictWriter(out, fieldnames=RESULT_FIELDS)
    if writer is not None:
        writer.writeheader()
    counts = dict.fromkeys(PLAN_OUTCOMES, 0)
    for _, line in plan_rows(bridge, source.rows()):
        counts[line["result"]] += 1
        if writer is not None:
            writer.writerow(line)
        else:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()
    if as_json:
        click.echo(json.dumps({"total": source.total, "dry_run": True, **counts}), err=True)
    else:
        click.echo(f"dry run: {counts['would-send']} would be sent, {counts['already-sent']} already sent,"
                   f" {counts['invalid']} invalid (of {source.total} rows); nothing sent", err=True)
    if counts["invalid"]:
        sys.exit(1)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@cli.command()
@click.argument("message_id")
@json_option
@click.pass_obj
def status(obj: _Context, message_id: str, as_json: bool) -> None:
    """Current status of a message (the id `send` printed)."""
    with _errors(as_json):
        report = obj.bridge().status(message_id)
        when = report.updated_at.isoformat() if report.updated_at else "-"
        desc = f" ({report.description})" if report.description and report.description != report.status.value else ""
        _emit(report.as_dict(), as_json, f"{report.id}: {report.status} at {when}{desc}")


@cli.command()
@click.argument("message_id")
@json_option
@click.pass_obj
def history(obj: _Context, message_id: str, as_json: bool) -> None:
    """Status changes of a message, oldest first."""
    with _errors(as_json):
        events = obj.bridge().history(message_id)
        lines = [f"{e.at.isoformat() if e.at else '-':32} {e.status.value:12} {e.description or ''}"
                 f"{' — ' + e.comment if e.comment else ''}" for e in events]
        _emit([e.as_dict() for e in events], as_json, "\n".join(lines) or "(no history)")


@cli.command()
@click.option("--backend", "-b", help="Backend to ask (default: the config's default).")
@json_option
@click.pass_obj
def balance(obj: _Context, backend: str | None, as_json: bool) -> None:
    """Credit balance of a backend."""
    with _errors(as_json):
        bal = obj.bridge().balance(backend)
        _emit(bal.as_dict(), as_json, f"{bal.backend}: {bal.amount} {bal.unit}")


@cli.command()
@click.option("--backend", "-b", help="Backend to ask (default: the config's default).")
@json_option
@click.pass_obj
def stats(obj: _Context, backend: str | None, as_json: bool) -> None:
    """Monthly statistics (domestic / foreign messages) as a table."""
    with _errors(as_json):
        rows = obj.bridge().monthly_stats(backend)
        table = [f"{'month':8} {'domestic':>9} {'foreign':>8}"]
        table += [f"{r.month:8} {r.domestic:>9} {r.foreign:>8}" for r in rows]
        _emit([r.as_dict() for r in rows], as_json, "\n".join(table))


@cli.command()
@json_option
@click.pass_obj
def backends(obj: _Context, as_json: bool) -> None:
    """Installed plugins (and their packages) and configured backends with their capabilities."""
    from . import plugins as plugins_mod

    with _errors(as_json):
        reg = plugins_mod.registry()
        installed: list[dict[str, Any]] = []
        for name, reg_entry in sorted(reg.backends.items()):
            info = reg.plugins.get(reg_entry.plugin)
            caps = "?"
            sets_sender = None
            try:
                cls = reg_entry.load()
                caps = ",".join(sorted(cls.capabilities))
                sets_sender = bool(getattr(cls, "sets_sender", True))
            except Exception as exc:  # a broken plugin is listed with its error
                caps = f"unavailable: {type(exc).__name__}"
            installed.append({"plugin": name, "from": reg_entry.plugin,
                              "package": f"{info.package} {info.version}" if info and info.package else None,
                              "capabilities": caps.split(",") if not caps.startswith("unavailable") else [],
                              "sender": sets_sender,
                              "error": caps if caps.startswith("unavailable") else None})
        broken: list[dict[str, Any]] = [{"plugin": p.name, "package": p.package, "error": p.error}
                  for p in reg.plugins.values() if p.error]
        configured: list[dict[str, Any]] = []
        config_error = None
        try:
            configured = obj.bridge().describe_backends()
        except ConfigError as exc:
            config_error = str(exc)
        if as_json:
            _emit({"installed": installed, "broken": broken, "configured": configured,
                   "config_error": config_error}, True, "")
            return
        click.echo("installed backend plugins:")
        for row in installed:
            caps = ",".join(row["capabilities"]) + (" (no sender)" if row["sender"] is False else "")
            click.echo(f"  {row['plugin']:16} {caps or row['error']:40} "
                       f"{row['package'] or ''} ({row['from']})")
        for row in broken:
            click.echo(f"  {row['plugin']:16} BROKEN: {row['error']}")
        if config_error:
            click.echo(f"configured backends: (config not loaded: {config_error})")
            return
        click.echo("configured backends:")
        for row in configured:
            limit = f", {row['rate_limit']}/s" if row["rate_limit"] else ""
            caps = ",".join(row["capabilities"]) + ("" if row.get("sender", True) else " (no sender)")
            click.echo(f"  {row['name']:16} plugin {row['plugin']:16} {caps:40} "
                       f"breaker {row['breaker']}{limit}")


@cli.group("config")
def config_group() -> None:
    """Configuration commands."""


@config_group.command("check")
@json_option
@click.pass_obj
def config_check(obj: _Context, as_json: bool) -> None:
    """Validate the config (every backend is built; nothing is sent)."""
    with _errors(as_json):
        bridge = obj.bridge()
        from .gateway.clients import check_clients

        check_clients(bridge.config)
        names = bridge.backends()
        incomplete = bridge.incomplete_backends()
        for name, keys in incomplete.items():
            click.echo(f"warning: backend {name!r} cannot be used until {', '.join(keys)} "
                       f"{'is' if len(keys) == 1 else 'are'} set", err=True)
        for name, sender in bridge.unsent_senders().items():
            click.echo(f"warning: backend {name!r} cannot set a sender (no sender): the configured sender "
                       f"{sender!r} is not sent (set ignore_sender: true on it to silence this)", err=True)

        from .store import redact_store  # issue 13: where the journal is, never its password

        store = redact_store(bridge.config.store)
        hint = "; set store: to choose" if obj.store_origin != "config" else ""
        store_text = ("in memory: nothing is kept between commands" if store == ":memory:"
                      else f"{store} ({obj.store_origin}{hint})")
        _emit({"ok": True, "backends": names, "source": bridge.config.source,
               "incomplete": {k: list(v) for k, v in incomplete.items()},
               "store": store, "store_origin": obj.store_origin}, as_json,
              f"{bridge.config.source or 'config'}: ok ({len(names)} backend{'s' if len(names) != 1 else ''}:"
              f" {', '.join(names)})\njournal: {store_text}")


@cli.command()
@click.option("--status", "status_filter", type=click.Choice([s.value for s in Status]),
              help="Only messages with this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000),
              help="At most this many messages.")
@json_option
@click.pass_obj
def journal(obj: _Context, status_filter: str | None, limit: int, as_json: bool) -> None:
    """Journaled messages, newest first."""
    with _errors(as_json):
        records = obj.bridge().journaled(status=status_filter, limit=limit)
        data = [{"id": r.id, "to": r.to, "status": r.status.value, "phase": r.phase,
                 "backend": r.backend, "provider_id": r.provider_id, "reference": r.reference,
                 "created_at": r.created_at.isoformat() if r.created_at else None, "error": r.error}
                for r in records]
        lines = [f"{d['id']}  {d['status']:11} {d['phase'] or '':9} {d['backend'] or '-':12} {d['to']}"
                 f"{'  ' + d['error'] if d['error'] else ''}" for d in data]
        _emit(data, as_json, "\n".join(lines) or "(journal is empty)")


@cli.command()
@json_option
@click.pass_obj
def reconcile(obj: _Context, as_json: bool) -> None:
    """Ask providers about messages whose outcome is unknown; update the journal.

    Ends with a line per backend: how many messages were settled, and what it could not
    check and why (no search at that provider, a failed look-up, the grace period)."""
    with _errors():
        bridge = obj.bridge()
        reports = bridge.reconcile()
        lines = [f"{r.id}: {r.status}{' — ' + r.description if r.description else ''}" for r in reports]
        per_backend: dict[str, dict[str, Any]] = {}
        for r in reports:  # issue 11: say per backend what could not be checked, and why
            name = bridge.record(r.id).backend or "(none)"
            entry = per_backend.setdefault(name, {"backend": name, "settled": 0, "unchecked": {}})
            if r.status is Status.UNKNOWN:
                entry["unchecked"].setdefault(r.description or "no reason given", []).append(r.id)
            else:
                entry["settled"] += 1
        for entry in per_backend.values():
            lines.append(f"backend {entry['backend']}: {entry['settled']} settled"
                         + "".join(f"; {len(ids)} not checked: {why}" for why, ids in entry["unchecked"].items()))
        data: Any = [r.as_dict() for r in reports]
        _emit(data, as_json, "\n".join(lines) or "nothing to reconcile")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate for HTTPS.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key for HTTPS.")
@click.option("--tls-self-signed", is_flag=True,
              help="Serve HTTPS with a generated certificate for 127.0.0.1/localhost (path printed).")
@click.option("--tls-dir", type=click.Path(file_okay=False),
              help="Keep the self-signed certificate and key here (0700; key 0600) instead of a temporary"
                   " directory removed on exit.")
@click.option("--access-log", type=click.Choice(["common", "json"]), is_flag=False, flag_value="common",
              default=None, help="Log each request on stderr (common log format, or json); secrets redacted.")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes sharing the port and the journal (needs store: a file or postgresql://).")
@click.pass_obj
def serve(obj: _Context, host: str, port: int, tls_cert: str | None, tls_key: str | None,
          tls_self_signed: bool, tls_dir: str | None, access_log: str | None, workers: int) -> None:
    """Run the gateway: providers' REST/SOAP APIs, served through smsbridge."""
    with _errors():
        try:
            from .gateway import server
        except ImportError as exc:
            raise ConfigError(f"the gateway needs the server extra ({exc.name} is missing): from a checkout of"
                              " smsbridge, pip install '.[server]'; or pip install starlette uvicorn"
                              " python-multipart cryptography") from None
        if bool(tls_cert) != bool(tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        if not 1 <= port <= 65535:
            raise ConfigError(f"--port must be between 1 and 65535, not {port}")
        server.serve(obj.bridge(), host=host, port=port, certfile=tls_cert, keyfile=tls_key,
                     self_signed=tls_self_signed, tls_dir=tls_dir, access_log=access_log, workers=workers)


# --- issue 15: inbox and optout ---
def _inbound_line(message: Any) -> str:
    return (f"{message.received_at:%Y-%m-%d %H:%M:%S}  {message.backend:12} {message.from_} -> {message.to}:"
            f" {message.text}")


@cli.command()
@click.option("--follow", "-f", is_flag=True, help="Keep printing inbound SMS as they arrive (Ctrl-C stops).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000),
              help="How many of the latest to show first.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 3600), hidden=True,
              help="Seconds between looks at the journal with --follow.")
@json_option
@click.pass_obj
def inbox(obj: _Context, follow: bool, limit: int, interval: float, as_json: bool) -> None:
    """Inbound SMS received through the gateway's webhooks, oldest first (with --json: one
    JSON object per line when following)."""
    import time

    with _errors():
        bridge = obj.bridge()
        messages = bridge.inbound(limit=limit)
        if not follow:
            _emit([m.as_dict() for m in messages], as_json,
                  "\n".join(_inbound_line(m) for m in messages) or "(no inbound SMS)")
            return
        seen = {m.id for m in messages}
        last = messages[-1].received_at if messages else None

        def show(message: Any) -> None:
            click.echo(json.dumps(message.as_dict(), ensure_ascii=False, default=str) if as_json
                       else _inbound_line(message))

        for message in messages:
            show(message)
        try:
            while True:
                time.sleep(interval)
                for message in bridge.inbound(since=last, limit=1000) if last else bridge.inbound(limit=1000):
                    if message.id not in seen:
                        seen.add(message.id)
                        show(message)
                        last = message.received_at
        except KeyboardInterrupt:
            return


@cli.group("optout")
def optout_group() -> None:
    """The opt-out list: numbers that answered STOP (refused as InvalidMessage reason opted_out)."""


@optout_group.command("list")
@json_option
@click.pass_obj
def optout_list(obj: _Context, as_json: bool) -> None:
    """Every opted-out number, oldest first."""
    with _errors():
        entries = obj.bridge().opt_outs()
        lines = [f"{e['number']}  {e['at']:%Y-%m-%d %H:%M:%S}  {e['keyword'] or '-':11} {e['backend'] or '-'}"
                 for e in entries]
        _emit(entries, as_json, "\n".join(lines) or "(no opted-out numbers)")


@optout_group.command("add")
@click.argument("number")
@click.pass_obj
def optout_add(obj: _Context, number: str) -> None:
    """Put NUMBER on the opt-out list: no more messages to it."""
    with _errors():
        e164 = obj.bridge().normalise_number(number)
        added = obj.bridge().opt_out(e164)
        click.echo(f"{e164} opted out" if added else f"{e164} was already opted out")


@optout_group.command("remove")
@click.argument("number")
@click.pass_obj
def optout_remove(obj: _Context, number: str) -> None:
    """Take NUMBER off the opt-out list (only with the recipient's consent)."""
    with _errors():
        e164 = obj.bridge().normalise_number(number)
        removed = obj.bridge().opt_in(e164)
        click.echo(f"{e164} removed from the opt-out list" if removed else f"{e164} was not opted out")


# --- issue 12: scheduled messages ---
def _parse_at(value: str) -> Any:
    """``--at``: an ISO 8601 date-time (no offset = UTC), or a ConfigError naming the option."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--at: not an ISO 8601 date-time: {value!r} (e.g. 2026-12-24T18:00+01:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@cli.command()
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="Send at most this many due messages.")
@json_option
@click.pass_obj
def dispatch(obj: _Context, limit: int, as_json: bool) -> None:
    """Send the scheduled messages that are due (each exactly once, even with several
    dispatchers on one store); run it from cron, or let 'smsbridge serve' do it."""
    with _errors():
        results = obj.bridge().dispatch(limit=limit)
        rows = [r.as_dict() if hasattr(r, "as_dict") else {"id": getattr(r, "message_id", None), "error": str(r)}
                for r in results]
        lines = [f"sent {r['id']} via {r['backend']}: {r['status']}" if "status" in r else
                 f"failed {r['id']}: {r['error']}" for r in rows]
        _emit(rows, as_json, "\n".join(lines) or "nothing due")


# --- issue 13: campaigns on Celery (worker, campaign status) ---
def _celery() -> Any:
    try:
        from . import celery as celery_mod
    except ImportError as exc:
        raise ConfigError(f"campaigns need the celery extra: pip install '.[celery]' from a checkout, or"
                          f" pip install 'celery[redis]' ({exc.name} is missing)") from None
    return celery_mod


@cli.command()
@click.option("--queue", "queue_url", required=True, envvar="SMSBRIDGE_QUEUE",
              help="Broker URL of the campaign queue, e.g. redis://127.0.0.1:6379/0"
                   " (add ?visibility_timeout=SECONDS to change how soon a dead worker's rows are taken up).")
@click.option("--concurrency", "-c", default=8, show_default=True, type=click.IntRange(1, 512),
              help="Sends in flight at once in this worker (threads).")
@click.option("--loglevel", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Celery's log level.")
@click.pass_obj
def worker(obj: _Context, queue_url: str, concurrency: int, loglevel: str) -> None:
    """Run a Celery worker that sends the rows 'bulk --queue' enqueued (exactly once, via the journal)."""
    with _errors():
        celery_mod = _celery()
        obj.bridge()  # fail fast on a bad config, before Celery starts
        app = celery_mod.make_app(queue_url, config=obj.config_path)
        celery_mod.run_worker(app, concurrency=concurrency, loglevel=loglevel.upper())


def _enqueue(obj: _Context, source: Any, queue_url: str) -> None:
    """``bulk --queue``: publish the rows not yet sent (streamed, in batches); workers send them."""
    from .campaign import pending_items

    celery_mod = _celery()
    app = celery_mod.make_app(queue_url, config=obj.config_path)
    count, skipped = 0, [0]
    for count in celery_mod.enqueue(app, pending_items(obj.bridge(), source.rows(), skipped)):
        if sys.stderr.isatty():
            click.echo(f"\rqueued {count}", err=True, nl=False)
    if sys.stderr.isatty():
        click.echo("", err=True)
    already = f" ({skipped[0]} already sent or in progress)" if skipped[0] else ""
    click.echo(f"{count} rows queued{already}; follow them with: smsbridge campaign status FILE", err=True)


@cli.group("campaign")
def campaign_group() -> None:
    """Campaigns sent through a queue ('bulk --queue', 'worker')."""


@campaign_group.command("status")
@click.argument("file", type=click.File("rb"))
@click.option("--delimiter", "-d", metavar="CHAR", help="Column separator of FILE (default: sniffed).")
@click.option("--encoding", "-e", metavar="NAME", help="Text encoding of FILE (default: sniffed).")
@json_option
@click.pass_obj
def campaign_status(obj: _Context, file: Any, delimiter: str | None, encoding: str | None, as_json: bool) -> None:
    """Counts for the rows of FILE, read from the journal: queued, sent, failed, unknown, scheduled."""
    from .bulk import BulkFile
    from .campaign import campaign_counts

    with _errors(as_json):
        counts = campaign_counts(obj.bridge(), BulkFile(file, encoding=encoding, delimiter=delimiter, keyed=True))
        _emit(counts, as_json, ", ".join(f"{n} {k}" for k, n in counts.items()))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="smsbridge")


if __name__ == "__main__":
    main()
