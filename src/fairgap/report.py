"""A static report of an executed collection: one folder of HTML a reader opens from disk.

    python -m fairgap.run_notebooks --profile smoke --report-only     (./run_all.sh --report-only)

``build_report(profile)`` reads the executed notebooks and the run summary (``summary.json``) in
``build/executed/<profile>/`` and writes ``build/report/<profile>/``:

- ``index.html``: the notebooks in order with their status and time, a failed notebook's error, a
  thumbnail of each figure linking to the full image (and the CSV behind it), and each notebook's
  claims table (``figures/<notebook>/claims.csv``) with its verdicts;
- ``notebooks/<notebook>.html``: each executed notebook rendered by nbconvert, figures inline;
- ``figures/<notebook>/``: copies of the figures, so the folder works opened from disk or zipped.

The pages load nothing from the network (no MathJax, require.js or widget scripts from a CDN): a
widget is shown by its saved static state, the images it holds (the explorer's last figure).
"""

from __future__ import annotations

import csv
import html
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .paths import check_profile, figures_dir, key_table, project_root

THUMBNAIL = (360, 240)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SUMMARY_FILE = "summary.json"  # the run summary, written beside the executed notebooks by ``fairgap.run_notebooks``

# The lab template without the scripts it would fetch from CDNs (they fail offline and log console errors).
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_header -%}{{ super() }}
<nav style="padding: 8px 16px; font-family: sans-serif"><a href="../index.html">&larr; report index</a></nav>
{%- endblock body_header -%}
"""


class ReportError(RuntimeError):
    """The report cannot be built (nothing executed, for instance); the message says what to do."""


@dataclass
class Entry:
    notebook: str
    status: str = "not recorded"               # executed, but not in summary.json
    seconds: float | None = None
    error: str = ""
    finished: str = ""
    title: str = ""
    page: str = ""                                     # relative to the report folder; "" when not rendered
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # (image, thumbnail, csv or "")
    claims: list[dict] | None = None


def read_summary(output_dir: Path) -> list[dict]:
    """The entries of ``summary.json`` in ``output_dir`` (empty when there is none or it is unreadable)."""
    try:
        return list(json.loads((output_dir / SUMMARY_FILE).read_text())["notebooks"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def build_report(profile: str = "default", executed: Path | None = None, report_dir: Path | None = None,
                 figures: Path | None = None) -> Path:
    """Write the report of ``profile``'s executed notebooks; returns the path of its ``index.html``."""
    check_profile(profile)
    root = project_root()
    executed = Path(executed or root / "build" / "executed" / profile)
    report_dir = Path(report_dir or root / "build" / "report" / profile)
    figures = Path(figures or figures_dir(profile))
    entries = {e["notebook"]: Entry(e["notebook"], e.get("status", "?"), e.get("seconds"), e.get("error") or "",
                                    e.get("finished", "")) for e in read_summary(executed)}
    for path in sorted(executed.glob("[0-9]*.ipynb")):
        entries.setdefault(path.stem, Entry(path.stem))
    if not entries:
        raise ReportError(f"Nothing to report for the {profile} profile: no executed notebooks in {executed}. "
                          f"Run ./run_all.sh --profile {profile} first (without --report-only).")
    if report_dir.is_dir() and any(report_dir.iterdir()):
        if not (report_dir / "index.html").is_file():
            raise ReportError(f"{report_dir} is not empty and holds no report (no index.html); the report replaces "
                              "its folder, so give a new or empty folder, or a previous report's.")
        shutil.rmtree(report_dir)
    (report_dir / "notebooks").mkdir(parents=True)
    exporter = _exporter()
    ordered = [entries[name] for name in sorted(entries)]
    for entry in ordered:
        source = executed / f"{entry.notebook}.ipynb"
        if source.is_file():
            try:
                entry.title, entry.page = _render_notebook(exporter, source, report_dir / "notebooks")
                if key_table(entry.notebook) and entry.title:   # a second run of the notebook, on a table
                    entry.title = f"{entry.title} (on the table {key_table(entry.notebook)})"
            except Exception as error:  # noqa: BLE001 - one unreadable notebook must not hide the others
                entry.error = f"{entry.error}\n(the report could not render {source.name}: {type(error).__name__}: {error})"
        entry.figures = _copy_figures(figures / entry.notebook, report_dir / "figures" / entry.notebook, report_dir)
        entry.claims = _read_claims(figures / entry.notebook / "claims.csv")
    index = report_dir / "index.html"
    index.write_text(_index_html(profile, ordered, _comparisons_html(report_dir)), encoding="utf-8")
    return index


def _comparisons_html(report_dir: Path) -> str:
    """The reproduction and replication comparisons kept in build/comparisons/ (``run_all.sh --compare``), each
    as its summary with its per-claim CSV copied beside the report; empty when there is none."""
    from .compare import read_comparisons

    items = []
    for name, text, table in read_comparisons():
        link = ""
        if table.is_file():
            (report_dir / "comparisons").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(table, report_dir / "comparisons" / f"{name}.csv")
            link = f" (<a href='comparisons/{html.escape(name)}.csv'>per claim</a>)"
        items.append(f"<h3>{html.escape(name)}{link}</h3><pre>{html.escape(text)}</pre>")
    if not items:
        return ""
    return ("<section id='comparisons'><h2>Reproduction and replication</h2><p>Each run's claims against the committed "
            "figures/: verdicts flipped and estimates outside the committed 95% interval, against what chance alone "
            "would give a replication on new seeds (a reproduction on the same seeds should show none).</p>"
            + "".join(items) + "</section>")


def _exporter():
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", extra_loaders=[jinja2.DictLoader({"fairgap.html.j2": _TEMPLATE})],
                        template_file="fairgap.html.j2", embed_images=True)


def _render_notebook(exporter, source: Path, out_dir: Path) -> tuple[str, str]:
    """Render one executed notebook to ``out_dir/<stem>.html``; its first heading and the page's relative path."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    _widgets_to_static(nb)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": source.stem}})
    (out_dir / f"{source.stem}.html").write_text(body, encoding="utf-8")
    return _first_heading(nb), f"notebooks/{source.stem}.html"


def _first_heading(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def _widgets_to_static(nb) -> None:
    """Replace each widget output by the images its saved state holds (an explorer's last figure), plus a note;
    nbconvert's own widget rendering needs scripts from a CDN. Without saved state the text fallback stays."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            images = _widget_images(state, view.get("model_id", ""), set())
            note = ("<p><em>An interactive widget: its last state is shown; open the notebook in JupyterLab "
                    "to use it.</em></p>")
            tags = "".join(f'<img src="data:image/{fmt};base64,{data}" alt="widget image"/>' for fmt, data in images)
            output["data"] = {"text/html": tags + note}
    nb.metadata.pop("widgets", None)  # shown above; the page would only carry it unused


def _widget_images(state: dict, model_id: str, seen: set) -> list[tuple[str, str]]:
    """(format, base64) of every Image model reachable from ``model_id`` through its children."""
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]
    images = []
    if model.get("model_name") == "ImageModel":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                images.append((model.get("state", {}).get("format", "png"), buffer["data"]))
    for child in model.get("state", {}).get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            images += _widget_images(state, child[len("IPY_MODEL_"):], seen)
    return images


def _copy_figures(source: Path, target: Path, report_dir: Path) -> list[tuple[str, str, str]]:
    """Copy each PNG (and the CSV behind it) into the report, with a thumbnail; paths relative to the report."""
    from PIL import Image

    rows = []
    for png in sorted(source.glob("*.png")) if source.is_dir() else []:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, target / png.name)
        thumb = target / f"{png.stem}.thumb.png"
        with Image.open(png) as image:
            image.thumbnail(THUMBNAIL)
            image.save(thumb)
        data = png.with_suffix(".csv")
        if data.is_file():
            shutil.copy2(data, target / data.name)
        rel = lambda p: p.relative_to(report_dir).as_posix()  # noqa: E731
        rows.append((rel(target / png.name), rel(thumb), rel(target / data.name) if data.is_file() else ""))
    if (source / "claims.csv").is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "claims.csv", target / "claims.csv")
    return rows


def _read_claims(path: Path) -> list[dict] | None:
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _number(text, digits: int = 3) -> str:
    try:
        return f"{float(text):.{digits}g}"
    except (TypeError, ValueError):
        return html.escape(str(text or ""))


def _shown_counts(claims: list[dict]) -> str:
    """'primary 1 of 3; exploratory 5 of 12' (shown of all, per kind)."""
    parts = []
    for kind in ("primary", "exploratory"):
        mine = [c for c in claims if (c.get("kind") or "exploratory") == kind]
        if mine:
            parts.append(f"{kind} {sum(c.get('verdict') == 'shown' for c in mine)} of {len(mine)}")
    return "; ".join(parts)


def _claims_html(claims: list[dict] | None) -> str:
    if claims is None:
        return '<p class="muted">no claims table</p>'
    columns = ("kind", "claim", "statistic", "null", "estimate [95% CI]", "n", "p", "Holm p", "verdict")
    head = "".join(f"<th>{c}</th>" for c in columns)
    rows = []
    primary_first = sorted(claims, key=lambda row: row.get("kind") != "primary")
    for row in primary_first:
        verdict = (row.get("verdict") or "").strip()
        css = "shown" if verdict == "shown" else "not-shown"
        interval = f"{_number(row.get('estimate'))} [{_number(row.get('lower'))}, {_number(row.get('upper'))}]"
        kind = html.escape(row.get("kind", ""))
        rows.append(f"<tr><td>{'<b>primary</b>' if kind == 'primary' else kind}</td>"
                    f"<td>{html.escape(row.get('claim', ''))}</td><td>{html.escape(row.get('statistic', ''))}</td>"
                    f"<td class='num'>{html.escape(row.get('direction', ''))} {_number(row.get('null'))}</td>"
                    f"<td class='num'>{interval}</td><td class='num'>{html.escape(row.get('n', ''))}</td>"
                    f"<td class='num'>{_number(row.get('p_value'))}</td><td class='num'>{_number(row.get('p_adjusted'))}</td>"
                    f"<td><span class='verdict {css}'>{html.escape(verdict)}</span></td></tr>")
    return f"<table class='claims'><tr>{head}</tr>{''.join(rows)}</table>"


def _status_css(status: str) -> str:
    return {"ok": "ok", "FAILED": "failed"}.get(status, "unknown")


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 24px auto;
       max-width: 1200px; padding: 0 16px; color: #222; }
h1 { margin-bottom: 4px; } .muted { color: #777; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; padding: 1px 8px; border-radius: 10px; }
.status.ok { background: #dff3e1; color: #1b5e20; } .status.failed { background: #fde0dc; color: #b71c1c; }
.status.unknown { background: #eee; color: #555; }
.verdict, .status, td.num { white-space: nowrap; } .verdict { padding: 1px 8px; border-radius: 10px; }
.verdict.shown { background: #dff3e1; color: #1b5e20; font-weight: 600; }
.verdict.not-shown { background: #fff3cd; color: #7a5b00; }
section { border-top: 2px solid #eee; padding-top: 8px; margin-top: 24px; }
pre.error { background: #fde0dc; padding: 8px; white-space: pre-wrap; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; }
.figures figure { margin: 0; width: 360px; } .figures img { max-width: 360px; border: 1px solid #ddd; }
.figures figcaption { font-size: 0.85em; word-break: break-all; }
"""


def _index_html(profile: str, entries: list[Entry], comparisons: str = "") -> str:
    failed = sum(e.status == "FAILED" for e in entries)
    passed = sum(e.status == "ok" for e in entries)
    toc = []
    sections = []
    for e in entries:
        name = html.escape(e.notebook)
        link = f"<a href='{e.page}'>{name}</a>" if e.page else f"{name} <span class='muted'>(no executed copy)</span>"
        seconds = f"{e.seconds:.1f}" if isinstance(e.seconds, (int, float)) else ""
        status = f"<span class='status {_status_css(e.status)}'>{html.escape(e.status)}</span>"
        claims = "" if e.claims is None else _shown_counts(e.claims)
        toc.append(f"<tr><td>{link}</td><td><a href='#{name}'>{html.escape(e.title) or 'details'}</a></td><td>{status}</td>"
                   f"<td class='num'>{seconds}</td><td class='num'>{len(e.figures)}</td>"
                   f"<td class='num'>{claims}</td></tr>")
        error = f"<pre class='error'>{html.escape(e.error)}</pre>" if e.error else ""
        figures = "".join(
            f"<figure><a href='{image}'><img src='{thumb}' alt='{html.escape(Path(image).stem)}'/></a>"
            f"<figcaption>{html.escape(Path(image).stem)}{f' (<a href={chr(39)}{data}{chr(39)}>data</a>)' if data else ''}"
            f"</figcaption></figure>" for image, thumb, data in e.figures) or "<p class='muted'>no figures</p>"
        page = f" &middot; <a href='{e.page}'>the executed notebook</a>" if e.page else ""
        sections.append(f"<section id='{name}'><h2>{name}</h2><p>{html.escape(e.title)}</p>"
                        f"<p>{status} {seconds + ' s' if seconds else ''}{page}"
                        f"{f' &middot; finished {html.escape(e.finished)}' if e.finished else ''}</p>{error}"
                        f"<h3>Figures</h3><div class='figures'>{figures}</div>"
                        f"<h3>Claims</h3>{_claims_html(e.claims)}</section>")
    built = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>fairgap report ({html.escape(profile)} profile)</title><style>{_STYLE}</style></head>
<body>
<h1>fairgap &mdash; {html.escape(profile)} profile</h1>
<p class="muted">Deep networks overfit to fairness objectives: the executed notebooks, their figures and
claims. {passed} passed, {failed} failed; built {built}. A claim is <span class="verdict shown">shown</span>
when its 95% Student-t interval over seeds excludes the null on the claimed side; a <b>primary</b> claim (declared before
the runs in <code>fairgap/claims/primary.py</code>) only when its Holm-adjusted p-value over the collection's primary claims
is below 0.025. Exploratory claims are descriptions of these runs, unadjusted.</p>
<table class="toc"><tr><th>notebook</th><th>title</th><th>status</th><th>seconds</th><th>figures</th><th>claims shown</th></tr>
{''.join(toc)}</table>
{comparisons}
{''.join(sections)}
</body></html>
"""

