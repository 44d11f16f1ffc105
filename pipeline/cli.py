"""The `docc` command line. Each command is a thin shell over one module's entry point.

Exit codes are decided in one place, `cli()`: 0 everything accounted for, 1 the job ran but
did not finish everything (documents left, a server refusing, any other `DoccError`), 2 a usage
error (bad option, missing or empty input, invalid schema or mapping: one line on stderr, no
traceback), 130 interrupted. Anything else is a bug: exit 1 with one line, the traceback at -v.
`-v` / `--log-level` are accepted before or after the subcommand.
"""
from __future__ import annotations

import logging
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.errors import DoccError
from pipeline.settings import ConfigError, settings

from typer._click.exceptions import NoArgsIsHelpError, UsageError as ClickUsageError  # typer 0.29 carries its own click

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
GLOBAL_FLAGS = ("-v", "--verbose")
GLOBAL_VALUED = ("--log-level",)

log = logging.getLogger("docc")

app = typer.Typer(
    help=(
        "docc, the document compiler: compile narrow extraction code for healthcare documents "
        "from labeled samples (an LLM is used only here), run the locked code over folders of "
        "PDFs and scans, report accuracy, and export FHIR R4 to an EHR."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class UsageError(DoccError):
    """The command cannot start as asked (exit 2, one line)."""


class Backend(str, Enum):
    vllm = "vllm"
    openai = "openai"
    synth = "synth"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


class _QuietThirdParty(logging.Filter):
    """Drop third-party INFO chatter (Great Expectations' "ephemeral docs site" line sets its own
    logger to INFO on import, so a logger level is not enough) unless DEBUG was asked for."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        if self.debug or record.levelno >= logging.WARNING:
            return True
        return not record.name.startswith(("great_expectations", "httpx", "httpcore", "stevedore", "filelock", "ray"))


def setup_logging(verbose: bool, log_level: str | None) -> None:
    name = "DEBUG" if verbose else (log_level or settings().log_level).upper()
    if name not in LOG_LEVELS:
        raise UsageError(f"--log-level must be one of {', '.join(LOG_LEVELS)} (got {name!r})")
    level = getattr(logging, name)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_QuietThirdParty(level <= logging.DEBUG))
    logging.getLogger("stevedore").setLevel(logging.CRITICAL)


def hoist_global_options(args: list[str]) -> list[str]:
    """Move `-v`, `--verbose` and `--log-level X` to the front, wherever they were typed (not
    after `--`), so `docc run IN --out OUT -v` works like `docc -v run ...`."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        if a in GLOBAL_FLAGS:
            front.append(a)
        elif a in GLOBAL_VALUED and i + 1 < len(args):
            front.extend(args[i:i + 2])
            i += 1
        elif any(a.startswith(f"{o}=") for o in GLOBAL_VALUED):
            front.append(a)
        else:
            rest.append(a)
        i += 1
    return front + rest


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at DEBUG (may include document text). Accepted anywhere on the line.")] = False,
    log_level: Annotated[Optional[str], typer.Option("--log-level", help="DEBUG, INFO (default, or DOCC_LOG_LEVEL), WARNING or ERROR. Accepted anywhere on the line.")] = None,
) -> None:
    setup_logging(verbose, log_level)


# ---------------------------------------------------------------------------- checks


def check_out_folder(out: Path, what: str = "--out") -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{what} {out} is a file, not a folder")


def check_inputs(inputs: list[Path]) -> None:
    missing = [str(p) for p in inputs if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"input path(s) not found: {', '.join(missing)}")


def check_not_empty(inputs: list[Path]) -> None:
    """A dead mount or a wrong folder must not pass as "nothing to do" under cron."""
    from pipeline.walk import walk

    if next(iter(walk(inputs)), None) is None:
        raise UsageError(f"no input files under {', '.join(map(str, inputs))}")


def check_url(url: str, what: str) -> str:
    """An http(s) URL with a host; anything else is a usage error (never retried)."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except Exception:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"{what} {url!r} is not an http(s) URL (e.g. https://ehr.example.org/fhir)")
    return url


def _workers_option(help_text: str):
    return typer.Option(min=1, help=help_text)


# ---------------------------------------------------------------------------- commands


@app.command()
def compile(
    samples: Annotated[Path, typer.Option(help="Folder of labeled samples, one sub-folder per doc type.")] = Path("data/samples"),
    doc_type: Annotated[Optional[list[str]], typer.Option("--doc-type", help="Compile only these doc types (repeatable).")] = None,
    backend: Annotated[list[Backend], typer.Option(help="Candidate generators (repeatable). 'vllm' uses DOCC_LLM_URL or starts the embedded CPU server; 'openai' needs DOCC_LLM_URL; 'synth' needs no model.")] = [Backend.vllm, Backend.synth],
    out: Annotated[Path, typer.Option(help="Where artifacts, the lock and the compile report go.")] = Path("extractors/compiled"),
    mappings: Annotated[Optional[Path], typer.Option(help="FHIR mapping folder (default: DOCC_FHIR_MAPPINGS, else fhir/mappings of docc). A doc type without a mapping gets a draft here.")] = None,
    force: Annotated[bool, typer.Option(help="Recompile even when schema, samples and compiler are unchanged.")] = False,
    freeform: Annotated[int, typer.Option(min=0, help="Free-form functions the model writes per weak field and fold (0: none).")] = 1,
    repairs: Annotated[int, typer.Option(min=0, help="Times a failing model-written function is sent back with its failure.")] = 2,
    floor: Annotated[float, typer.Option(help="Held-out F1 under which a required field is weak: its doc type is not locked.")] = 0.5,
    accept_weak: Annotated[bool, typer.Option("--accept-weak", help="Lock doc types with weak required fields anyway (the compile report names them).")] = False,
) -> None:
    """Write, validate and lock one extraction function per document type.

    Schemas, golden files and FHIR mappings are checked first (a doc type without a mapping
    gets a draft, `status: draft`, to review). Every generator's candidates are scored on sample
    layouts they were not shown; each field keeps its best, and the assembled artifact must pass
    static, security, execution and accuracy (Great Expectations) validation before it is locked.
    """
    from extractors.compiler import compile_command
    from extractors.schema import discover
    from pipeline.fhir_draft import prepare_mappings

    check_out_folder(out)
    if Backend.openai in backend and not settings().llm_url:
        raise UsageError("--backend openai needs DOCC_LLM_URL (and DOCC_LLM_MODEL, DOCC_LLM_API_KEY) naming the server")
    sets = discover(samples, doc_type or None)
    if not sets:
        raise UsageError(f"no doc types under {samples} (each needs a schema.yaml)")
    for line in prepare_mappings(sets, mappings):
        typer.echo(line, err=True)
    raise typer.Exit(compile_command(samples=samples, doc_types=doc_type or [], backends=[b.value for b in backend],
                                     out=out, force=force, freeform=freeform, repairs=repairs,
                                     floor=floor, accept_weak=accept_weak))


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    out: Annotated[Path, typer.Option(help="Output folder: results.jsonl, manifest.json, fhir/, ndjson/, review/, quarantine/.")],
    extractors: Annotated[Path, typer.Option(help="Folder of locked extractors.")] = Path("extractors/compiled"),
    workers: Annotated[int, _workers_option("Parallel worker processes (1 or more).")] = max(1, os.cpu_count() or 1),
    engine: Annotated[Engine, typer.Option(help="'local' processes or a 'ray' cluster (pip install 'docc[ray]').")] = Engine.local,
    ray_address: Annotated[Optional[str], typer.Option(help="Existing Ray cluster address (default: start a local one).")] = None,
    mappings: Annotated[Optional[Path], typer.Option(help="FHIR mapping folder (default: DOCC_FHIR_MAPPINGS, else fhir/mappings of docc).")] = None,
    reprocess: Annotated[bool, typer.Option(help="Process documents again even though their results are current.")] = False,
    doc_type: Annotated[Optional[list[str]], typer.Option("--doc-type", help="With --reprocess: only documents of these doc types (repeatable).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run's counters as one JSON line instead of the table.")] = False,
) -> None:
    """The batch job: ingest, classify, extract, validate and build FHIR for every input document.

    Ends with one line for logs: `docc run: run=N inputs=.. exported=.. review=.. quarantined=..
    unchanged=.. seconds=.. missing=0 reconciles=yes`.
    """
    from pipeline.batch import run_command

    check_inputs(inputs)
    check_not_empty(inputs)
    check_out_folder(out)
    if doc_type and not reprocess:
        raise UsageError("--doc-type goes with --reprocess (docc run processes every doc type)")
    if mappings is not None and not mappings.is_dir():
        raise UsageError(f"--mappings {mappings} is not a folder")
    which: bool | set[str] = set(doc_type) if doc_type else reprocess
    raise typer.Exit(run_command(inputs=inputs, out=out, extractors_dir=extractors, workers=workers, engine=engine.value,
                                 ray_address=ray_address, mappings=mappings, reprocess=which, json_summary=json_out))


@app.command("eval")
def eval_(
    samples: Annotated[Optional[list[Path]], typer.Option(help="Labeled folders to score (default: data/samples and the held-out sets under tests/).")] = None,
    extractors: Annotated[Path, typer.Option(help="Folder of locked extractors.")] = Path("extractors/compiled"),
    out: Annotated[Path, typer.Option(help="Report folder: report.json, report.md, report.html.")] = Path("reports/latest"),
    baseline: Annotated[Optional[str], typer.Option(help="Also score a baseline: 'direct-llm'.")] = None,
    baseline_limit: Annotated[Optional[int], typer.Option(min=1, help="Score the baseline on at most N documents per doc type.")] = None,
    against: Annotated[Optional[Path], typer.Option(help="A previous report.json: fail when a field's F1 drops by more than --tolerance.")] = None,
    tolerance: Annotated[float, typer.Option(min=0.0, help="Allowed F1 drop per field for --against.")] = 0.02,
    ocr_profile: Annotated[Optional[str], typer.Option(help="OCR every scan with this profile instead of its doc type's locked one (to compare profiles).")] = None,
    compare_profiles: Annotated[Optional[str], typer.Option(help="Comma-separated OCR profiles: also read every scan with each and report its F1 per doc type next to text-layer F1.")] = None,
) -> None:
    """Field-extraction and classification accuracy report (JSON, Markdown, HTML), optionally
    against the direct-LLM baseline. Documents without a golden file are skipped with a warning."""
    from eval.report import eval_command

    check_out_folder(out)
    if against is not None and not against.is_file():
        raise UsageError(f"--against {against} is not a file")
    raise typer.Exit(eval_command(samples=samples, extractors_dir=extractors, out=out, baseline=baseline, baseline_limit=baseline_limit, against=against, tolerance=tolerance, ocr_profile=ocr_profile,
                                    compare_profiles=[p.strip() for p in compare_profiles.split(",") if p.strip()] if compare_profiles else None))


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="A `docc run` output folder.")],
    fhir_url: Annotated[Optional[str], typer.Option(help="FHIR R4 base URL to POST transaction Bundles to (default: DOCC_FHIR_URL; bearer token from DOCC_FHIR_TOKEN).")] = None,
    ndjson: Annotated[Optional[Path], typer.Option(help="Write bulk NDJSON per resource type to this folder instead.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Bundles in flight at once.")] = 4,
    mappings: Annotated[Optional[Path], typer.Option(help="FHIR mapping folder for Bundles built here (default: DOCC_FHIR_MAPPINGS, else fhir/mappings of docc).")] = None,
) -> None:
    """Send exported documents' FHIR Bundles to an EHR, or write NDJSON for bulk loads.

    A server that refuses the connection stops the export at once (nothing is retried); 429
    and 5xx answers and timeouts are retried with backoff."""
    if fhir_url is not None and ndjson is not None:
        raise UsageError("give one of --fhir-url or --ndjson, not both")
    if fhir_url is None and ndjson is None:
        fhir_url = settings().fhir_url or None
        if fhir_url is None:
            raise UsageError("give --fhir-url URL (or set DOCC_FHIR_URL), or --ndjson DIR")
    if fhir_url is not None:
        check_url(fhir_url, "--fhir-url")
    if ndjson is not None:
        check_out_folder(ndjson, "--ndjson")
    if not out.is_dir():
        raise UsageError(f"{out} is not a folder (give a `docc run --out` folder)")
    if not (out / "results.jsonl").exists():
        raise UsageError(f"{out} has no results.jsonl (run `docc run ... --out {out}` first)")
    from pipeline.fhir_export import export_command

    raise typer.Exit(export_command(out=out, fhir_url=fhir_url, ndjson_dir=ndjson, concurrency=concurrency, mappings=mappings))


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    workers: Annotated[int, _workers_option("Parallel worker processes for OCR (1 or more).")] = max(1, os.cpu_count() or 1),
) -> None:
    """Read documents (text layer or OCR) and print a per-file summary; nothing is extracted."""
    from pipeline.ingest import ingest_command

    check_inputs(inputs)
    check_not_empty(inputs)
    raise typer.Exit(ingest_command(inputs=inputs, workers=workers))


@app.command()
def studio(
    samples: Annotated[Path, typer.Option(help="Folder of labeled samples, one sub-folder per doc type.")] = Path("data/samples"),
    run: Annotated[Optional[Path], typer.Option(help="A `docc run` output folder whose review queue to work.")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    extractors: Annotated[Path, typer.Option(help="Folder of locked extractors (prefill, checks, recompile target).")] = Path("extractors/compiled"),
    backend: Annotated[list[Backend], typer.Option(help="Generators for the Recompile button (repeatable).")] = [Backend.synth],
    fhir_url: Annotated[Optional[str], typer.Option(help="Also POST approved documents' Bundles to this FHIR server.")] = None,
) -> None:
    """Local browser app: label samples, work a run's review queue (approve exports), recompile."""
    from pipeline.studio.server import studio_command

    raise typer.Exit(studio_command(samples=samples, run=run, port=port, extractors=extractors,
                                    backends=[b.value for b in backend], fhir_url=fhir_url))


# ---------------------------------------------------------------------------- entry point


def _usage_exceptions() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the input is not usable as given" (exit 2). The one place an
    exception becomes an exit code: every other `DoccError` and any bug exits 1."""
    from extractors.schema import SchemaError
    from pipeline.fhir_bundle import MappingError

    return (UsageError, ConfigError, SchemaError, MappingError, FileNotFoundError, NotADirectoryError)


def _say(message: str, command: str | None) -> None:
    prefix = f"docc {command}" if command else "docc"
    typer.echo(f"{prefix}: error: {message}", err=True)


def cli(argv: list[str] | None = None) -> int:
    """Run docc with `argv` (default: sys.argv[1:]) and return the exit code (see module doc)."""
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    command = next((a for a in args if not a.startswith("-") and a in {c.name or c.callback.__name__ for c in app.registered_commands}), None)
    try:
        rv = app(args=args, prog_name="docc", standalone_mode=False)
    except NoArgsIsHelpError:
        return EXIT_USAGE  # the help was printed
    except ClickUsageError as e:
        hint = f" (see docc {command} --help)" if command else " (see docc --help)"
        _say(e.format_message().replace("\n", " ") + hint, command)
        return EXIT_USAGE
    except typer.Exit as e:
        return e.exit_code
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("docc: interrupted", err=True)
        return EXIT_INTERRUPTED
    except _usage_exceptions() as e:
        _say(str(e).splitlines()[0] if str(e) else type(e).__name__, command)
        return EXIT_USAGE
    except DoccError as e:  # a known refusal (server down, artifact refused): one line, not a bug report
        log.debug("%s", type(e).__name__, exc_info=True)
        _say(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", command)
        return EXIT_INCOMPLETE
    except Exception as e:  # a bug: one line, the traceback only at DEBUG
        log.debug("unexpected error", exc_info=True)
        _say(f"unexpected {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} (run with -v for the traceback)", command)
        return EXIT_INCOMPLETE
    return rv if isinstance(rv, int) else EXIT_OK


def main() -> None:
    """Console-script entry point (`docc`)."""
    sys.exit(cli())


if __name__ == "__main__":
    main()
