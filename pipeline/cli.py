"""The `docc` command line. Each command is a thin shell over one module's entry point."""
from __future__ import annotations

import logging
import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    help=(
        "docc, the document compiler: compile narrow extraction code for healthcare documents "
        "from labeled samples (an LLM is used only here), run the locked code over folders of "
        "PDFs and scans, report accuracy, and export FHIR R4 to an EHR."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


class Backend(str, Enum):
    vllm = "vllm"
    openai = "openai"
    synth = "synth"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at DEBUG (may include document text).")] = False,
) -> None:
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("DOCC_LOG_LEVEL", "INFO").upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # third-party chatter that says nothing to an operator
    logging.getLogger("stevedore").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    logging.getLogger("great_expectations").setLevel(max(level, logging.WARNING))


@app.command()
def compile(
    samples: Annotated[Path, typer.Option(help="Folder of labeled samples, one sub-folder per doc type.")] = Path("data/samples"),
    doc_type: Annotated[Optional[list[str]], typer.Option("--doc-type", help="Compile only these doc types (repeatable).")] = None,
    backend: Annotated[list[Backend], typer.Option(help="Candidate generators (repeatable). 'vllm' uses DOCC_LLM_URL or starts the embedded CPU server; 'synth' needs no model.")] = [Backend.vllm, Backend.synth],
    out: Annotated[Path, typer.Option(help="Where artifacts, the lock and the compile report go.")] = Path("extractors/compiled"),
    force: Annotated[bool, typer.Option(help="Recompile even when schema, samples and compiler are unchanged.")] = False,
    freeform: Annotated[int, typer.Option(help="Free-form functions the model writes per weak field and fold (0: none).")] = 1,
    repairs: Annotated[int, typer.Option(help="Times a failing model-written function is sent back with its failure.")] = 2,
) -> None:
    """Write, validate and lock one extraction function per document type.

    Every generator's candidates are scored on sample layouts they were not shown; each field
    keeps its best, and the assembled artifact must pass static, security, execution and
    accuracy (Great Expectations) validation before it is locked.
    """
    from extractors.compiler import compile_command

    raise typer.Exit(compile_command(samples=samples, doc_types=doc_type or [], backends=[b.value for b in backend],
                                     out=out, force=force, freeform=freeform, repairs=repairs))


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    out: Annotated[Path, typer.Option(help="Output folder: results.jsonl, manifest.json, fhir/, ndjson/, review/, quarantine/.")],
    extractors: Annotated[Path, typer.Option(help="Folder of locked extractors.")] = Path("extractors/compiled"),
    workers: Annotated[int, typer.Option(help="Parallel worker processes.")] = max(1, os.cpu_count() or 1),
    engine: Annotated[Engine, typer.Option(help="'local' processes or a 'ray' cluster.")] = Engine.local,
    ray_address: Annotated[Optional[str], typer.Option(help="Existing Ray cluster address (default: start a local one).")] = None,
) -> None:
    """The batch job: ingest, classify, extract, validate and build FHIR for every input document."""
    from pipeline.batch import run_command

    raise typer.Exit(run_command(inputs=inputs, out=out, extractors_dir=extractors, workers=workers, engine=engine.value, ray_address=ray_address))


@app.command("eval")
def eval_(
    samples: Annotated[Optional[list[Path]], typer.Option(help="Labeled folders to score (default: data/samples and the held-out sets under tests/).")] = None,
    extractors: Annotated[Path, typer.Option(help="Folder of locked extractors.")] = Path("extractors/compiled"),
    out: Annotated[Path, typer.Option(help="Report folder: report.json, report.md, report.html.")] = Path("reports/latest"),
    baseline: Annotated[Optional[str], typer.Option(help="Also score a baseline: 'direct-llm'.")] = None,
    baseline_limit: Annotated[Optional[int], typer.Option(help="Score the baseline on at most N documents per doc type.")] = None,
    against: Annotated[Optional[Path], typer.Option(help="A previous report.json: fail when a field's F1 drops by more than --tolerance.")] = None,
    tolerance: Annotated[float, typer.Option(help="Allowed F1 drop per field for --against.")] = 0.02,
    ocr_profile: Annotated[Optional[str], typer.Option(help="OCR every scan with this profile instead of its doc type's locked one (to compare profiles).")] = None,
) -> None:
    """Field-extraction accuracy report (JSON, Markdown, HTML), optionally against the direct-LLM baseline."""
    from eval.report import eval_command

    raise typer.Exit(eval_command(samples=samples, extractors_dir=extractors, out=out, baseline=baseline, baseline_limit=baseline_limit, against=against, tolerance=tolerance, ocr_profile=ocr_profile))


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="A `docc run` output folder.")],
    fhir_url: Annotated[Optional[str], typer.Option(help="FHIR R4 base URL to POST transaction Bundles to (bearer token from DOCC_FHIR_TOKEN).")] = None,
    ndjson: Annotated[Optional[Path], typer.Option(help="Write bulk NDJSON per resource type to this folder instead.")] = None,
    concurrency: Annotated[int, typer.Option(help="Bundles in flight at once.")] = 4,
) -> None:
    """Send exported documents' FHIR Bundles to an EHR, or write NDJSON for bulk loads."""
    if (fhir_url is None) == (ndjson is None):
        raise typer.BadParameter("give exactly one of --fhir-url or --ndjson")
    from pipeline.fhir_export import export_command

    raise typer.Exit(export_command(out=out, fhir_url=fhir_url, ndjson_dir=ndjson, concurrency=concurrency))


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    workers: Annotated[int, typer.Option(help="Parallel worker processes for OCR.")] = max(1, os.cpu_count() or 1),
) -> None:
    """Read documents (text layer or OCR) and print a per-file summary; nothing is extracted."""
    from pipeline.ingest import ingest_command

    raise typer.Exit(ingest_command(inputs=inputs, workers=workers))


if __name__ == "__main__":
    app()
