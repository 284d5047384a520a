"""The ``smsbridge`` command (SPEC §4): thin click commands over the public Python API.

Each command parses, calls :class:`~smsbridge.Bridge`, prints.  Expected failures
(:class:`~smsbridge.errors.SmsBridgeError`) become one line on stderr and a non-zero
exit status — 2 for configuration errors, 1 for everything else — never a traceback.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import click

from .errors import ConfigError, SmsBridgeError

__all__ = ["main", "cli"]


class _Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._bridge: Any = None

    def bridge(self) -> Any:
        if self._bridge is None:
            from .bridge import Bridge

            self._bridge = Bridge.from_config(self.config_path)
        return self._bridge

    def close(self) -> None:
        if self._bridge is not None:
            self._bridge.close()


@contextmanager
def _errors() -> Iterator[None]:
    """Turn expected errors into one clear stderr line and an exit status."""
    try:
        yield
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except SmsBridgeError as exc:
        extra = f" (message id {exc.message_id})" if exc.message_id else ""
        click.echo(f"error: {type(exc).__name__}: {exc}{extra}", err=True)
        sys.exit(1)
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str) if as_json else text)


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="SMSBRIDGE_CONFIG", type=click.Path(dir_okay=False),
              help="Config file (default: $SMSBRIDGE_CONFIG, else ./smsbridge.yaml).")
@click.version_option(package_name="smsbridge")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """smsbridge: send SMS through any provider, configured in YAML."""
    state = _Context(config_path)
    ctx.obj = state
    ctx.call_on_close(state.close)


@cli.command()
@click.argument("to")
@click.argument("text")
@click.option("--backend", "-b", help="Send through this configured backend (bypasses routes).")
@click.option("--sender", "-s", help="Sender id or number.")
@click.option("--reference", help="Your own label, passed to the provider as its client reference.")
@click.option("--at", "send_at", metavar="DATETIME",
              help="Schedule the message: ISO 8601 (2026-12-24T18:00+01:00; no offset = UTC). Sent when due by"
                   " 'smsbridge serve' or 'smsbridge dispatch'.")
@json_option
@click.pass_obj
def send(obj: _Context, to: str, text: str, backend: str | None, sender: str | None, reference: str | None,
         send_at: str | None, as_json: bool) -> None:
    """Send one message TO (E.164 or national) with TEXT."""
    with _errors():
        when = _parse_at(send_at) if send_at is not None else None
        receipt = obj.bridge().send(to, text, backend=backend, sender=sender, reference=reference, send_at=when)
        if receipt.status.value == "scheduled" and when is not None:
            _emit(receipt.as_dict(), as_json, f"scheduled {receipt.id} for {when.isoformat()} to {receipt.to}")
            return
        _emit(receipt.as_dict(), as_json,
              f"sent {receipt.id} via {receipt.backend} (provider id {receipt.provider_id}): "
              f"{receipt.status}, {receipt.segments} segment{'s' if receipt.segments != 1 else ''} "
              f"({receipt.encoding}) to {receipt.to}")


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
@click.pass_obj
def bulk(obj: _Context, file: Any, concurrency: int, out: Any, as_json: bool, delimiter: str | None,
         encoding: str | None, again: bool) -> None:
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
    with _errors():
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
    with _errors():
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
    with _errors():
        bal = obj.bridge().balance(backend)
        _emit(bal.as_dict(), as_json, f"{bal.backend}: {bal.amount} {bal.unit}")


@cli.command()
@click.option("--backend", "-b", help="Backend to ask (default: the config's default).")
@json_option
@click.pass_obj
def stats(obj: _Context, backend: str | None, as_json: bool) -> None:
    """Monthly statistics (domestic / foreign messages) as a table."""
    with _errors():
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

    with _errors():
        reg = plugins_mod.registry()
        installed = []
        for name, reg_entry in sorted(reg.backends.items()):
            info = reg.plugins.get(reg_entry.plugin)
            caps = "?"
            try:
                caps = ",".join(sorted(reg_entry.load().capabilities))
            except Exception as exc:  # a broken plugin is listed with its error
                caps = f"unavailable: {type(exc).__name__}"
            installed.append({"plugin": name, "from": reg_entry.plugin,
                              "package": f"{info.package} {info.version}" if info and info.package else None,
                              "capabilities": caps.split(",") if not caps.startswith("unavailable") else [],
                              "error": caps if caps.startswith("unavailable") else None})
        broken = [{"plugin": p.name, "package": p.package, "error": p.error}
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
            click.echo(f"  {row['plugin']:16} {','.join(row['capabilities']) or row['error']:40} "
                       f"{row['package'] or ''} ({row['from']})")
        for row in broken:
            click.echo(f"  {row['plugin']:16} BROKEN: {row['error']}")
        if config_error:
            click.echo(f"configured backends: (config not loaded: {config_error})")
            return
        click.echo("configured backends:")
        for row in configured:
            limit = f", {row['rate_limit']}/s" if row["rate_limit"] else ""
            click.echo(f"  {row['name']:16} plugin {row['plugin']:16} {','.join(row['capabilities']):40} "
                       f"breaker {row['breaker']}{limit}")


@cli.group("config")
def config_group() -> None:
    """Configuration commands."""


@config_group.command("check")
@json_option
@click.pass_obj
def config_check(obj: _Context, as_json: bool) -> None:
    """Validate the config (every backend is built; nothing is sent)."""
    with _errors():
        bridge = obj.bridge()
        from .gateway.clients import check_clients

        check_clients(bridge.config)
        names = bridge.backends()
        incomplete = bridge.incomplete_backends()
        for name, keys in incomplete.items():
            click.echo(f"warning: backend {name!r} cannot be used until {', '.join(keys)} "
                       f"{'is' if len(keys) == 1 else 'are'} set", err=True)
        from .store import redact_store  # issue 13: where the journal is, never its password

        _emit({"ok": True, "backends": names, "source": bridge.config.source,
               "store": redact_store(bridge.config.store),
               "incomplete": {k: list(v) for k, v in incomplete.items()}}, as_json,
              f"{bridge.config.source or 'config'}: ok ({len(names)} backend{'s' if len(names) != 1 else ''}:"
              f" {', '.join(names)})")


@cli.command()
@click.option("--status", "status_filter", help="Only messages with this status (unknown, failed, sent, ...).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@json_option
@click.pass_obj
def journal(obj: _Context, status_filter: str | None, limit: int, as_json: bool) -> None:
    """Journaled messages, newest first."""
    with _errors():
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
    """Ask providers about messages whose outcome is unknown; update the journal."""
    with _errors():
        reports = obj.bridge().reconcile()
        lines = [f"{r.id}: {r.status}{' — ' + r.description if r.description else ''}" for r in reports]
        _emit([r.as_dict() for r in reports], as_json, "\n".join(lines) or "nothing to reconcile")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate for HTTPS.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key for HTTPS.")
@click.option("--tls-self-signed", is_flag=True,
              help="Serve HTTPS with a generated certificate for 127.0.0.1/localhost (path printed).")
@click.option("--tls-dir", type=click.Path(file_okay=False),
              help="Keep the self-signed certificate and key here (0700; key 0600) instead of a temporary"
                   " directory removed on exit.")
@click.option("--access-log", type=click.Choice(["common", "json"]), is_flag=False, flag_value="common",
              default=None, help="Log each request on stderr (common log format, or json); secrets redacted.")
@click.pass_obj
def serve(obj: _Context, host: str, port: int, tls_cert: str | None, tls_key: str | None,
          tls_self_signed: bool, tls_dir: str | None, access_log: str | None) -> None:
    """Run the gateway: providers' REST/SOAP APIs, served through smsbridge."""
    with _errors():
        try:
            from .gateway import server
        except ImportError as exc:
            raise ConfigError(f"the gateway needs the server extra: pip install 'smsbridge[server]' ({exc.name}"
                              " is missing)") from None
        if bool(tls_cert) != bool(tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        if not 1 <= port <= 65535:
            raise ConfigError(f"--port must be between 1 and 65535, not {port}")
        server.serve(obj.bridge(), host=host, port=port, certfile=tls_cert, keyfile=tls_key,
                     self_signed=tls_self_signed, tls_dir=tls_dir, access_log=access_log)


# --- issue 15: inbox and optout ---
def _inbound_line(message: Any) -> str:
    return (f"{message.received_at:%Y-%m-%d %H:%M:%S}  {message.backend:12} {message.from_} -> {message.to}:"
            f" {message.text}")


@cli.command()
@click.option("--follow", "-f", is_flag=True, help="Keep printing inbound SMS as they arrive (Ctrl-C stops).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000),
              help="How many of the latest to show first.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 3600), hidden=True)
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="smsbridge")


if __name__ == "__main__":
    main()
