"""The ``smsbridge`` command (SPEC §4): thin click commands over the public Python API.

Each command parses, calls :class:`~smsbridge.Bridge`, prints.  Expected failures
(:class:`~smsbridge.errors.SmsBridgeError`) become one line on stderr and a non-zero
exit status — 2 for configuration errors, 1 for everything else — never a traceback.
"""
from __future__ import annotations

import csv
import json
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
@json_option
@click.pass_obj
def send(obj: _Context, to: str, text: str, backend: str | None, sender: str | None, reference: str | None,
         as_json: bool) -> None:
    """Send one message TO (E.164 or national) with TEXT."""
    with _errors():
        receipt = obj.bridge().send(to, text, backend=backend, sender=sender, reference=reference)
        _emit(receipt.as_dict(), as_json,
              f"sent {receipt.id} via {receipt.backend} (provider id {receipt.provider_id}): "
              f"{receipt.status}, {receipt.segments} segment{'s' if receipt.segments != 1 else ''} "
              f"({receipt.encoding}) to {receipt.to}")


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--concurrency", "-c", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--out", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write the per-row result CSV (default: stdout).")
@click.option("--again", is_flag=True,
              help="Send every row anew. Default: rows an earlier run of this file sent (matched by the 'key'"
                   " column, else the row number) are not sent twice.")
@click.option("--queue", "queue_url", envvar="SMSBRIDGE_QUEUE",
              help="Enqueue the rows on this Celery broker (redis://...) for 'smsbridge worker' to send,"
                   " instead of sending them from this process.")
@click.pass_obj
def bulk(obj: _Context, file: Any, concurrency: int, out: Any, again: bool, queue_url: str | None) -> None:
    """Send every row of a CSV FILE with columns to,text (optional sender, reference, backend, key)."""
    from .bulk import read_rows, result_row, RESULT_FIELDS

    with _errors():
        bridge = obj.bridge()
        rows = read_rows(file, resume=not again)
        if queue_url:
            _enqueue(obj, rows, queue_url)
            return
        writer = csv.DictWriter(out, fieldnames=RESULT_FIELDS)
        writer.writeheader()
        sent = failed = 0
        # The bar goes to stderr, and only to a terminal: piped runs get clean output.
        with click.progressbar(length=0, label="sending", file=sys.stderr, show_pos=True, show_percent=False,
                               show_eta=False, hidden=not sys.stderr.isatty()) as bar:
            for number, (item, result) in enumerate(zip(rows.items(), bridge.send_iter(
                    rows.items_for_send(), concurrency=concurrency)), start=1):
                writer.writerow(result_row(number, item, result))
                if isinstance(result, SmsBridgeError):
                    failed += 1
                else:
                    sent += 1
                bar.update(1)
        out.flush()
        click.echo(f"{sent} sent, {failed} failed", err=True)
        if failed:
            sys.exit(1)


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
        _emit({"ok": True, "backends": names, "source": bridge.config.source,
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
        data = [{"id": r.id, "to": r.to, "status": r.status.value, "phase": r.extra.get("phase"),
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
@click.pass_obj
def serve(obj: _Context, host: str, port: int, tls_cert: str | None, tls_key: str | None,
          tls_self_signed: bool) -> None:
    """Run the gateway: providers' REST/SOAP APIs, served through smsbridge."""
    with _errors():
        try:
            from .gateway import server
        except ImportError as exc:
            raise ConfigError(f"the gateway needs the server extra: pip install 'smsbridge[server]' ({exc.name}"
                              " is missing)") from None
        if bool(tls_cert) != bool(tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        server.serve(obj.bridge(), host=host, port=port, certfile=tls_cert, keyfile=tls_key,
                     self_signed=tls_self_signed)


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


def _enqueue(obj: _Context, rows: Any, queue_url: str) -> None:
    """``bulk --queue``: publish the rows (streamed, in batches); the workers send them."""
    from .campaign import pending_items

    celery_mod = _celery()
    app = celery_mod.make_app(queue_url, config=obj.config_path)
    count, skipped = 0, [0]
    for count in celery_mod.enqueue(app, pending_items(obj.bridge(), rows.items(), skipped)):
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
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@json_option
@click.pass_obj
def campaign_status(obj: _Context, file: Any, as_json: bool) -> None:
    """Counts for the rows of FILE, read from the journal: queued, sent, failed, unknown, scheduled."""
    from .campaign import campaign_counts

    with _errors():
        counts = campaign_counts(obj.bridge(), file)
        _emit(counts, as_json, ", ".join(f"{n} {k}" for k, n in counts.items()))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="smsbridge")


if __name__ == "__main__":
    main()
