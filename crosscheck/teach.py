"""``python -m lightning_models teach <id> --out DIR`` / ``teach --all --out DIR``: one network in
two libraries, as static HTML pages to open from the file system (issue 13).

Each page (``DIR/<catalog id>.html``) shows, for one catalog network (docs/catalog.md):

- where it comes from: the document (seed), and each exercise of docs/exercises.md that uses it,
  with its lines and what it asks (:data:`crosscheck.exercises.EXERCISES`);
- the parity figures: parameters and forward max |keras - lightning| with the Keras weights
  copied in (computed while the page is built, :func:`crosscheck.parity.forward_parity`), then
  the trajectory and trained-metric levels from the parity report when one exists (below);
- the Keras code as :mod:`keras_reference` writes it and the Lightning class of
  :mod:`lightning_models`, side by side and highlighted with Pygments. The two sides name their
  layers alike (Keras ``name="hidden1"``, the torch attribute or key ``hidden1``: the names the
  weight transfer pairs), so a layer's lines on both sides share a table row; the same-module
  helpers a builder or class calls follow it in its pane;
- both summaries (layer, output shape, parameters; :mod:`crosscheck.summary`), rows of one
  layer marked alike;
- the training curves of both frameworks overlaid, when the exercise runner left results
  (``RESULTS/<exercise id>/results.csv`` and its runs' ``history.csv``, :mod:`crosscheck.exercises.runner`);
- the commands that train it in each framework.

``DIR/index.html`` lists every catalog network by document with its parity status and a link
to its page (pages not built yet say so); ``DIR/pages.json`` remembers what each built page
found, so building pages one at a time keeps the index whole. Pages need no network: the CSS
(Pygments' included) and the few lines of script are inline, the curve figures are SVG files
beside the pages.

The parity report (``--parity-report``, default ``results/parity.json``; issue 11 writes it) is
read when present, in this format::

    {"networks": {                      # or the mapping of ids itself, at the top level
       "fp.fashion_mlp": {              # catalog id -> level -> measurement
         "trajectory": {"value": 1.1e-06, "tolerance": 1e-05, "passed": true,
                        "what": "max relative difference of the per-epoch losses, 3 epochs"},
         "trained_metric": {"metric": "test_accuracy", "keras": 0.8758, "lightning": 0.8729,
                            "tolerance": 0.01, "passed": true, "what": "means over 3 seeds"}}}}

Levels shown: ``loss``, ``optimizer_step``, ``trajectory``, ``trained_metric`` (any other level
is listed after them); every key of a level is optional (``value``, ``keras``, ``lightning``,
``metric``, ``tolerance``, ``passed``, ``what``); a level may also be a bare number or text. A
level the report lacks reads "not yet measured".
"""

from __future__ import annotations

import ast
import csv
import datetime
import html
import inspect
import io
import json
import os
import re
import tokenize
from typing import Optional, Sequence

import torch

import lightning_models  # before keras_reference (import order: datamodules/_import_guard.py)
import keras_reference

from .exercises import EXERCISES
from .exercises.reports import read_history
from .exercises.spec import CONFIGS, TOOLS, network_settings
from .parity import forward_parity
from .summary import _ArgumentParser, check_arguments, keras_rows, torch_rows

#: The forward-parity bound of the parity tests (tests/test_network_parity.py).
FORWARD_TOLERANCE = 1e-5
#: The parity report's levels, in the order of issue 11 (parameters and forward are computed here).
REPORT_LEVELS = ("loss", "optimizer_step", "trajectory", "trained_metric")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS_CATALOG = os.path.join(REPO, "docs", "catalog.md")
#: Line colours of the curves: Keras' red, Lightning's purple.
COLOURS = {"keras": "#d00000", "lightning": "#792ee5"}


# -- what docs/catalog.md says about a network ------------------------------------------------------
def catalog_facts(path: str = DOCS_CATALOG) -> tuple[dict, dict]:
    """``(documents, networks)`` from docs/catalog.md: seed -> document description, and
    catalog id -> ``{"seed", "network", "lightning", "keras", "config", "data"}`` (Markdown cells)."""
    documents, networks, seed = {}, {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            heading = re.match(r"### Seed (\d{3})", line)
            if heading:
                seed = heading.group(1)
                continue
            if not line.startswith("| "):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if re.fullmatch(r"\d{3}", cells[0]) and len(cells) == 3:
                documents[cells[0]] = cells[1]
            elif seed and cells[0].startswith("`") and len(cells) == 6:
                keys = ("network", "lightning", "keras", "config", "data")
                networks[cells[0].strip("`")] = {"seed": seed, **dict(zip(keys, cells[1:]))}
    return documents, networks


def markdown_inline(text: str) -> str:
    """Escaped text with Markdown's ``code`` and **bold** as HTML."""
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


# -- the two codes, aligned layer by layer ------------------------------------------------------------
def code_pane(obj, catalog: dict) -> list[dict]:
    """The lines of ``obj``'s source, then those of the helpers it calls from the network
    modules of its side (``catalog``'s modules: functions and base classes such as ``mlp``,
    ``cifar2_conv_net``, ``Autoencoder``; not the framework code of base.py or keras_layers.py),
    each helper before the helper that calls it: ``[{"file", "line", "text", "part"}]``, ``part``
    0 for ``obj``, 1, 2... for the helpers (each headed by a comment line)."""
    families = {entry.__module__ for entry in catalog.values()}
    seen, helpers = {id(obj)}, []

    def visit(current) -> None:
        module = inspect.getmodule(current)
        names = [node.id for node in ast.walk(ast.parse(_dedented_source(current))) if isinstance(node, ast.Name)]
        if inspect.isclass(current):
            names = [base.__name__ for base in current.__bases__] + names
        for name in names:
            helper = getattr(module, name, None)
            if (helper is not None and id(helper) not in seen and (inspect.isfunction(helper) or inspect.isclass(helper))
                    and getattr(helper, "__module__", None) in families):
                seen.add(id(helper))
                visit(helper)
                helpers.append(helper)

    visit(obj)
    lines = []
    for part, item in enumerate([obj] + helpers):
        source, start = inspect.getsourcelines(item)
        file = os.path.relpath(inspect.getsourcefile(item), REPO)
        if part:
            lines.append({"file": file, "line": None, "part": part, "text": ""})
            lines.append({"file": file, "line": None, "part": part,
                          "text": f"# --- {item.__name__} ({file}, line {start}), used above ---"})
        lines += [{"file": file, "line": start + i, "part": part, "text": text.rstrip("\n")}
                  for i, text in enumerate(source)]
    return lines


def _dedented_source(obj) -> str:
    import textwrap

    return textwrap.dedent(inspect.getsource(obj))


def _docstring_lines(source: str) -> set:
    """0-based line numbers of the docstrings in ``source`` (they may name layers in prose)."""
    lines = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return lines
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                lines.update(range(first.lineno - 1, first.end_lineno))
    return lines


_STRING = re.compile(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")(.*)\2$", re.S)


def code_words(texts: Sequence[str]) -> list[tuple[set, list]]:
    """Per line: (the identifiers, the string literals) outside docstrings and comments. A string
    counts on the line that opened its bracket (a call's ``name=`` on its continuation line belongs
    to the call); an f-string becomes a regular expression (``f'conv{i}'`` matches ``conv1``...)."""
    words = [(set(), []) for _ in texts]
    source = "\n".join(texts) + "\n"
    skip = _docstring_lines(source)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError):
        return words
    opened: list[int] = []  # the lines where the open brackets were opened
    for token in tokens:
        row = token.start[0] - 1
        if token.type == tokenize.OP and token.string in "([{":
            opened.append(row)
        elif token.type == tokenize.OP and token.string in ")]}" and opened:
            opened.pop()
        if row in skip or row >= len(texts):
            continue
        if token.type == tokenize.NAME:
            words[row][0].add(token.string)
        elif token.type == tokenize.STRING:
            # a layer's name= belongs to the line that opened its call (``Conv2D(...,\n name='conv1')``)
            row = opened[-1] if opened else row
            match = _STRING.match(token.string)
            if match:
                prefix, _, body = match.groups()
                if "f" in prefix.lower():
                    pattern = ".+".join(re.escape(p) for p in re.split(r"\{[^{}]*\}", body))
                else:
                    pattern = re.escape(body)
                words[row][1].append(re.compile(pattern))
    return words


def _lines_naming(words, name: str, kind: Optional[str]) -> list[int]:
    """The lines naming the layer ``name`` (a string literal or an identifier); if none does,
    the lines calling its layer class ``kind`` (Keras' unnamed ``Flatten()``...)."""
    found = [i for i, (names, strings) in enumerate(words)
             if name in names or any(p.fullmatch(name) for p in strings)]
    if not found and kind:
        found = [i for i, (names, _) in enumerate(words) if kind in names]
    return found


def align(keras_lines: list[dict], torch_lines: list[dict], layers: Sequence[tuple[str, str]]) -> list[tuple]:
    """Anchors ``(keras line index, torch line index, [layer names])``, increasing on both sides.

    Each layer ``(name, layer class)``, in the Keras model's order, may be anchored at any pair
    of lines naming it on the two sides; the chosen pairs must not go back on either side. The
    choice covers the most layers, then makes the most rows, then prefers earlier lines (the
    builder and the class before their helpers). A layer sharing a line with the previous one on
    a side (``names=("hidden1", "rdim")``, a loop's ``f'conv{i}'``) joins that layer's row."""
    keras_words = code_words([line["text"] for line in keras_lines])
    torch_words = code_words([line["text"] for line in torch_lines])
    items = [(index, k, t) for index, (name, kind) in enumerate(layers)
             for k in _lines_naming(keras_words, name, kind) for t in _lines_naming(torch_words, name, kind)]
    # best[i]: (layers covered, rows, -(sum of line indices)) of the best chain ending at items[i]
    best, previous = [], []
    for i, (index, k, t) in enumerate(items):
        score, link = (1, 1, -(k + t)), None
        for j in range(i):
            index0, k0, t0 = items[j]
            if index0 < index and k0 <= k and t0 <= t:
                covered, rows, position = best[j]
                candidate = (covered + 1, rows + (k > k0 and t > t0), position - (k + t))
                if candidate > score:
                    score, link = candidate, j
        best.append(score)
        previous.append(link)
    if not items:
        return []
    chain, i = [], max(range(len(items)), key=best.__getitem__)
    while i is not None:
        chain.append(items[i])
        i = previous[i]
    anchors: list[tuple] = []
    for index, k, t in reversed(chain):
        if anchors and (k == anchors[-1][0] or t == anchors[-1][1]):
            anchors[-1][2].append(layers[index][0])
        else:
            anchors.append((k, t, [layers[index][0]]))
    return anchors


def highlighted(lines: list[dict]) -> list[str]:
    """Each line as Pygments HTML (spans closed on every line, so lines can be cut apart)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    out = highlight("\n".join(line["text"] for line in lines) + "\n", PythonLexer(stripnl=False),
                    HtmlFormatter(nowrap=True))
    rows = out.split("\n")
    return (rows + [""] * len(lines))[: len(lines)]


def code_table(keras_lines: list[dict], torch_lines: list[dict], layers: Sequence[tuple[str, str]]) -> str:
    """The two codes in one table: a row per stretch between anchors, each anchor row starting
    with both sides' lines of that layer, marked and labelled with its name."""
    anchors = align(keras_lines, torch_lines, layers)
    k_html, t_html = highlighted(keras_lines), highlighted(torch_lines)
    cuts = [(0, 0, None)] + anchors + [(len(keras_lines), len(torch_lines), None)]
    rows = []
    for (k0, t0, names), (k1, t1, _) in zip(cuts, cuts[1:]):
        if k0 == k1 and t0 == t1:
            continue
        label = ", ".join(names) if names else ""
        layer = f' data-layer="{html.escape(" ".join(names))}"' if names else ""
        rows.append(
            f'<tr class="{"anchor" if names else "stretch"}"{layer}>'
            f'<td class="code code-keras highlight"><pre>{_pane_lines(keras_lines, k_html, k0, k1, bool(names))}</pre></td>'
            f'<td class="layer">{html.escape(label)}</td>'
            f'<td class="code code-lightning highlight"><pre>{_pane_lines(torch_lines, t_html, t0, t1, bool(names))}</pre></td></tr>')
    return ('<table class="codes"><thead><tr>'
            f'<th id="keras-code">{pane_title(keras_lines, "Keras")}</th><th class="layer">layer</th>'
            f'<th id="lightning-code">{pane_title(torch_lines, "Lightning")}</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _pane_lines(lines: list[dict], rendered: list[str], start: int, stop: int, anchored: bool) -> str:
    out = []
    for i in range(start, stop):
        number = lines[i]["line"]
        gutter = f'<span class="ln">{number if number is not None else ""}</span>'
        css = "line mark" if anchored and i == start else "line"
        out.append(f'<span class="{css}">{gutter}{rendered[i]}</span>')
    return "".join(out)


def pane_title(lines: list[dict], what: str) -> str:
    main = [line for line in lines if line["part"] == 0]
    return f'{what} <span class="where">{html.escape(main[0]["file"])}, lines {main[0]["line"]}-{main[-1]["line"]}</span>'


# -- the network's figures ----------------------------------------------------------------------------
def _layer_key(row_name: str) -> str:
    """``'projection.hidden1 (Dense)'`` -> ``'hidden1'`` (the name both sides share)."""
    return row_name.split(" (", 1)[0].rsplit(".", 1)[-1]


def measure(entry_id: str) -> dict:
    """Build both models (document defaults, seed 0), copy the Keras weights into Lightning and
    return both summaries, both parameter counts and the forward parity figure."""
    import keras

    keras.backend.clear_session()  # Keras' own layer names (flatten, dropout) without counters
    keras.utils.set_random_seed(0)
    torch.manual_seed(0)
    torch_model = lightning_models.build(entry_id)
    keras_model = keras_reference.build(entry_id)
    example = torch_model.random_input(2, generator=torch.Generator().manual_seed(0))
    t_rows = torch_rows(torch_model, example)
    k_rows = keras_rows(keras_model)
    layers = []
    for layer in _keras_layers(keras_model):
        if type(layer).__name__ != "InputLayer" and (layer.name, type(layer).__name__) not in layers:
            layers.append((layer.name, type(layer).__name__))
    torch_names = {_layer_key(row[0]) for row in t_rows}
    return {
        "keras_rows": k_rows, "torch_rows": t_rows,
        "keras_class": type(keras_model).__name__, "torch_class": type(torch_model).__name__,
        "layers": [(name, kind) for name, kind in layers if name in torch_names],
        "keras_params": int(keras_model.count_params()), "torch_params": int(torch_model.count_params()),
        "forward": float(forward_parity(keras_model, torch_model)),
    }


def _keras_layers(model) -> list:
    layers = []
    for layer in model.layers:
        layers += _keras_layers(layer) if hasattr(layer, "layers") else [layer]
    return layers


def read_parity_report(path: Optional[str]) -> dict:
    """catalog id -> {level: measurement} from the parity report, ``{}`` when there is none
    (read and checked by :func:`crosscheck.parity_report.read_report`)."""
    if not path:
        return {}
    from .parity_report import read_report  # it imports this module (catalog_facts)

    report = read_report(path)
    networks = report.get("networks", report)
    return {key: value for key, value in networks.items() if isinstance(value, dict)}


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return html.escape(str(value))
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.2e}"


def level_cells(measurement) -> tuple[str, str, str]:
    """(the figures, the verdict, what was measured) of a parity-report level."""
    if measurement is None:
        return '<span class="todo">not yet measured</span>', "", ""
    if not isinstance(measurement, dict):
        return _number(measurement), "", ""
    parts = []
    if "metric" in measurement:
        parts.append(html.escape(str(measurement["metric"])))
    for key in ("keras", "lightning", "value"):
        if key in measurement:
            parts.append(f"{key if key != 'value' else 'difference'} {_number(measurement[key])}")
    if "tolerance" in measurement:
        parts.append(f"tolerance {_number(measurement['tolerance'])}")
    passed = measurement.get("passed")
    verdict = ("" if passed is None else
               '<span class="ok">agrees</span>' if passed else '<span class="bad">differs</span>')
    return "; ".join(parts) or "-", verdict, html.escape(str(measurement.get("what", measurement.get("note", ""))))


def status_words(facts: dict, report: dict) -> list[tuple[str, Optional[bool]]]:
    """The index's parity status: (level, agrees? / None when not measured)."""
    words = [("parameters", facts["keras_params"] == facts["torch_params"]),
             ("forward", facts["forward"] <= FORWARD_TOLERANCE)]
    for level in ("trajectory", "trained_metric"):
        measurement = report.get(level)
        words.append((level.replace("_", " "), measurement.get("passed") if isinstance(measurement, dict) else None))
    return words


# -- the exercises' curves ----------------------------------------------------------------------------
def exercise_curves(entry_id: str, exercise_id: str, results: str) -> Optional[list[dict]]:
    """The exercise runner's runs of this network: ``[{"point", "framework", "seed", "history"}]``
    from ``results/<exercise id>/results.csv`` and each run's ``history.csv``; None without results."""
    folder = os.path.join(results, exercise_id)
    table = os.path.join(folder, "results.csv")
    if not os.path.isfile(table):
        return None
    runs = []
    with open(table, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("network", entry_id) != entry_id:
                continue
            path = os.path.join(folder, row.get("run_dir", ""), "history.csv")
            if os.path.isfile(path):
                history = read_history(path)
                if history:
                    runs.append({"point": row.get("point", ""), "framework": row.get("framework", ""),
                                 "seed": row.get("seed", ""), "history": history})
    return runs or None


def curves_svg(runs: list[dict], title: str, path: str, max_points: int = 6) -> list[str]:
    """One panel per grid point (the first ``max_points``): loss (solid) and val_loss (dashed)
    per epoch of every seed, Keras red, Lightning purple, on one axis. Saves an SVG; returns the
    points drawn."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    points = list(dict.fromkeys(run["point"] for run in runs))[:max_points]
    ncols = min(3, len(points))
    nrows = -(-len(points) // ncols)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "klp"}):
        fig = Figure(figsize=(4.2 * ncols, 3.0 * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, point in zip(axes, points):
            labelled = set()
            for run in runs:
                if run["point"] != point:
                    continue
                for key, style in (("loss", "-"), ("val_loss", "--")):
                    values = run["history"].get(key)
                    if values:
                        label = f"{run['framework']} {key}"  # once per framework and curve, whatever the seeds
                        ax.plot(range(1, len(values) + 1), values, style, color=COLOURS.get(run["framework"], "grey"),
                                label=label if label not in labelled else "_nolegend_", linewidth=1.1, alpha=0.8)
                        labelled.add(label)
            ax.set_title(point or "(defaults)", fontsize=8)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=6)
        for ax in axes[len(points):]:
            ax.set_visible(False)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        fig.savefig(path, format="svg", metadata={"Date": None})
    return points


# -- for the notebooks (notebooks/seed00N_*.py) ------------------------------------------------------
def document_data(network: str, max_rows: Optional[int] = None, dataset: Optional[str] = None,
                  **changes):
    """The LightningDataModule of ``network``'s config, set up: Lightning trains on it, Keras on
    its very arrays (``datamodule.splits.x_train``...). ``max_rows`` keeps the first rows of each
    split (a quick run); ``dataset`` and ``changes`` replace the config's dataset and options
    (master.mnist_mlp on ``"fashion_mnist"``, as the lab's last part)."""
    import datamodules
    from .exercises.runner import first_rows

    settings = network_settings(network)
    datamodule = datamodules.datamodule_class(dataset or settings["dataset"])(**{**settings["data"], **changes})
    if max_rows:
        load = datamodule.load_splits
        datamodule.load_splits = lambda: first_rows(load(), max_rows)
    datamodule.setup("fit")
    return datamodule


def plot_both(keras_history, lightning_history, title: str = ""):
    """Keras' and Lightning's Histories on shared panels, one per metric (``loss``,
    ``accuracy``...): Keras red, Lightning purple, training solid, ``val_`` dashed. Either
    History (or its ``.history`` dict) works; returns a matplotlib Figure (no pyplot state)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    logs = {"keras": getattr(keras_history, "history", keras_history),
            "lightning": getattr(lightning_history, "history", lightning_history)}
    metrics = list(dict.fromkeys(k for h in logs.values() for k in h if not k.startswith("val_")))
    metrics.sort(key=lambda name: name != "loss")  # the loss first, as Keras prints it
    fig = Figure(figsize=(4.5 * len(metrics), 3.3))
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for framework, history in logs.items():
            for key, style in ((metric, "-"), ("val_" + metric, "--")):
                if history.get(key):
                    values = history[key]
                    ax.plot(range(1, len(values) + 1), values, style, marker=".", color=COLOURS[framework],
                            label=f"{framework} {key}")
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# -- the page -------------------------------------------------------------------------------------
def summary_table(rows: list, side: str, title: str, total: str) -> str:
    body = "".join(f'<tr data-layer="{html.escape(_layer_key(name))}"><td>{html.escape(name)}</td>'
                   f'<td>{html.escape(shape)}</td><td class="num">{html.escape(params)}</td></tr>'
                   for name, shape, params in rows)
    return (f'<div class="summary-pane"><h3>{html.escape(title)}</h3>'
            f'<table class="summary" id="summary-{side}"><thead><tr><th>Layer (type)</th><th>Output shape</th>'
            f'<th class="num">Param #</th></tr></thead><tbody>{body}</tbody>'
            f'<tfoot><tr><td colspan="3">{html.escape(total)}</td></tr></tfoot></table></div>')


def build_page(entry_id: str, out: str, results: str = "results", report: Optional[dict] = None) -> dict:
    """Write ``out/<entry_id>.html`` (and its curve figures); return what the index needs."""
    documents, networks = catalog_facts()
    catalog = networks.get(entry_id, {})
    seed = catalog.get("seed", "")
    exercises = [e for e in EXERCISES.values() if entry_id in e.networks]
    facts = measure(entry_id)
    report = report or {}
    keras_lines = code_pane(keras_reference.CATALOG[entry_id], keras_reference.CATALOG)
    torch_lines = code_pane(lightning_models.CATALOG[entry_id], lightning_models.CATALOG)

    source = [f'<p><strong>Document:</strong> seed {html.escape(seed)}: {markdown_inline(documents.get(seed, "?"))}</p>']
    if catalog:
        source.append(f'<p><strong>Network:</strong> {markdown_inline(catalog["network"])}</p>')
    if exercises:
        items = "".join(
            f'<li><strong>{html.escape(e.id)}</strong> (seed {e.document}, lines {html.escape(e.lines)}): '
            f'{html.escape(e.asks)}' + (f' <em>Choices: {html.escape(e.note)}</em>' if e.note else "") + "</li>"
            for e in exercises)
        source.append(f'<p><strong>Exercises:</strong></p><ul class="exercises">{items}</ul>')
    else:
        source.append("<p><strong>Exercises:</strong> none; the document shows this network without an exercise "
                      "(docs/exercises.md).</p>")

    params_ok = facts["keras_params"] == facts["torch_params"]
    forward_ok = facts["forward"] <= FORWARD_TOLERANCE
    parity_rows = [
        ("parameters", f'Keras {facts["keras_params"]:,}; Lightning {facts["torch_params"]:,}',
         f'<span class="{"ok" if params_ok else "bad"}">{"equal" if params_ok else "differ"}</span>',
         "count_params() of both models, as Keras counts"),
        ("forward", f'max |keras - lightning| = {facts["forward"]:.2e}; tolerance {FORWARD_TOLERANCE:.0e}',
         f'<span class="{"ok" if forward_ok else "bad"}">{"agrees" if forward_ok else "differs"}</span>',
         "Keras weights copied into Lightning, 16 random inputs, every output and sub-model"),
    ]
    levels = list(REPORT_LEVELS) + [k for k in report if k not in REPORT_LEVELS + ("parameters", "forward")]
    for level in levels:
        if level in report or level in ("trajectory", "trained_metric"):
            figures, verdict, what = level_cells(report.get(level))
            parity_rows.append((level.replace("_", " "), figures, verdict,
                                what or "from the parity report (issue 11) when present"))
    parity = "".join(f'<tr><th>{html.escape(a)}</th><td>{b}</td><td>{c}</td><td class="what">{d}</td></tr>'
                     for a, b, c, d in parity_rows)

    curves = []
    for exercise in exercises:
        if not exercise.trains:
            curves.append(f'<p class="todo">{html.escape(exercise.id)} trains nothing: its output is a tool '
                          f'({html.escape(TOOLS.get(exercise.tool, str(exercise.tool)))}).</p>')
            continue
        runs = exercise_curves(entry_id, exercise.id, results)
        if runs is None:
            curves.append(f'<p class="todo">{html.escape(exercise.id)}: no results yet in '
                          f'<code>{html.escape(os.path.join(results, exercise.id))}</code> '
                          f'(<code>python -m lightning_models exercise {html.escape(exercise.id)}</code>).</p>')
            continue
        name = f"{entry_id}.{exercise.id}.svg"
        points = curves_svg(runs, f"{exercise.id}: {entry_id}", os.path.join(out, name))
        curves.append(f'<figure><img src="{html.escape(name)}" alt="training curves of {html.escape(exercise.id)}">'
                      f'<figcaption>{html.escape(exercise.id)}: loss (solid) and val_loss (dashed) per epoch, '
                      f'Keras red, Lightning purple; points {html.escape(", ".join(p or "(defaults)" for p in points))} '
                      f'(from <code>{html.escape(os.path.join(results, exercise.id, "results.csv"))}</code>).'
                      f'</figcaption></figure>')
    if not exercises:
        curves.append('<p class="todo">No exercise trains this network.</p>')

    commands = []
    config = os.path.join(CONFIGS, f"{entry_id}.yaml")
    if os.path.isfile(config):
        commands.append(f"# Lightning, the document's training (configs/{entry_id}.yaml)\n"
                        f"python -m lightning_models fit --config configs/{entry_id}.yaml")
    for exercise in exercises:
        if exercise.trains:
            commands.append(f"# exercise {exercise.id}, each framework\n"
                            f"python -m lightning_models exercise {exercise.id} --framework keras\n"
                            f"python -m lightning_models exercise {exercise.id} --framework lightning")
    commands.append(f"# both summaries and the forward parity in a terminal\npython -m lightning_models summary {entry_id}")
    if not os.path.isfile(config):
        commands.append(f"# no config: {catalog.get('config', 'see docs/catalog.md')}")
    python_api = (f"import lightning_models, keras_reference   # in this order\n"
                  f"torch_model = lightning_models.build(\"{entry_id}\")\n"
                  f"keras_model = keras_reference.build(\"{entry_id}\")")

    k_total = f'Total params: {facts["keras_params"]:,}'
    t_params = sum(int(r[2].replace(",", "")) for r in facts["torch_rows"])
    t_total = f"Total params: {t_params:,}" + (
        f" (+{facts['torch_params'] - t_params:,} BatchNorm moving statistics = {facts['torch_params']:,} as Keras counts)"
        if facts["torch_params"] != t_params else "")
    body = f"""
<nav><a href="index.html">&larr; every network</a></nav>
<h1><code>{html.escape(entry_id)}</code></h1>
<p class="lede">One network of the documents, in Keras as the document writes it and in PyTorch Lightning as this project writes it.</p>
<section id="source"><h2>Where it comes from</h2>{"".join(source)}</section>
<section id="parity"><h2>Parity</h2><table class="parity"><tbody>{parity}</tbody></table></section>
<section id="code"><h2>The code, side by side</h2>
<p class="note">Rows are aligned on the layers' shared names (Keras <code>name=</code>, the torch attribute or key): those are the names the weight transfer pairs. Helpers the builder or class calls follow it in its pane. Point at a layer to mark it on both sides.</p>
{code_table(keras_lines, torch_lines, facts["layers"])}
</section>
<section id="summaries"><h2>Summaries</h2>
<p class="note">Torch image shapes are channels-first, as torch computes them: (8, 30, 30) is Keras' (30, 30, 8).</p>
<div class="summaries">{summary_table(facts["keras_rows"], "keras", f"Keras ({facts['keras_class']})", k_total)}
{summary_table(facts["torch_rows"], "lightning", f"Lightning ({facts['torch_class']})", t_total)}</div></section>
<section id="curves"><h2>Training curves</h2>{"".join(curves)}</section>
<section id="train"><h2>Train it</h2><pre class="commands">{html.escape(chr(10).join(commands))}</pre>
<p>In Python:</p><pre class="commands">{html.escape(python_api)}</pre></section>
"""
    _write_html(os.path.join(out, f"{entry_id}.html"), f"{entry_id}: Keras and Lightning", body)
    return {"id": entry_id, "seed": seed, "network": catalog.get("network", ""),
            "exercises": [e.id for e in exercises], "keras_params": facts["keras_params"],
            "torch_params": facts["torch_params"], "forward": facts["forward"],
            "status": [[level, ok] for level, ok in status_words(facts, report)]}


def build_index(out: str) -> str:
    """``out/index.html``: every catalog network by document, its parity status and page."""
    documents, networks = catalog_facts()
    built = _manifest(out)
    sections = []
    ids = list(lightning_models.CATALOG)
    for seed in sorted(documents):
        members = [i for i in ids if networks.get(i, {}).get("seed") == seed]
        if not members:
            continue
        rows = []
        for entry_id in members:
            page = built.get(entry_id)
            if page and os.path.isfile(os.path.join(out, f"{entry_id}.html")):
                link = f'<a href="{html.escape(entry_id)}.html"><code>{html.escape(entry_id)}</code></a>'
                status = " ".join(
                    f'<span class="{"todo" if ok is None else "ok" if ok else "bad"}">{html.escape(level)}'
                    f'{"" if ok is None else (" ✓" if ok else " ✗")}</span>' for level, ok in page["status"])
                status += f' <span class="figure">forward {page["forward"]:.1e}</span>'
            else:
                link = f"<code>{html.escape(entry_id)}</code>"
                status = f'<span class="todo">page not built (teach {html.escape(entry_id)})</span>'
            exercises = ", ".join(e.id for e in EXERCISES.values() if entry_id in e.networks) or "-"
            rows.append(f'<tr><td>{link}</td><td>{markdown_inline(networks[entry_id]["network"])}</td>'
                        f'<td>{html.escape(exercises)}</td><td class="status">{status}</td></tr>')
        sections.append(f'<section><h2>Seed {seed}</h2><p>{markdown_inline(documents[seed])}</p>'
                        '<table class="index"><thead><tr><th>network</th><th>what</th><th>exercises</th>'
                        f'<th>parity</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>')
    body = ("<h1>The documents' networks in Keras and in Lightning</h1>"
            '<p class="lede">Each page puts one network of the five Keras teaching documents beside its '
            "PyTorch Lightning version: the code, the summaries, the parity figures and the training curves. "
            'Status: <span class="ok">✓ agrees</span>, <span class="bad">✗ differs</span>, '
            '<span class="todo">not yet measured</span>.</p>' + "".join(sections))
    path = os.path.join(out, "index.html")
    _write_html(path, "Keras and Lightning, side by side", body)
    return path


def _manifest(out: str) -> dict:
    path = os.path.join(out, "pages.json")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_html(path: str, title: str, body: str) -> None:
    import keras
    import lightning
    from pygments.formatters import HtmlFormatter

    versions = (f"Keras {keras.__version__}, PyTorch {torch.__version__}, Lightning {lightning.__version__}; "
                f"written {datetime.date.today().isoformat()} by <code>python -m lightning_models teach</code>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>
{CSS}
{HtmlFormatter(style="default").get_style_defs(".highlight")}
</style></head>
<body>{body}
<footer>{versions}</footer>
<script>{SCRIPT}</script>
</body></html>
"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto; max-width: 1500px;
       padding: 0 1rem; color: #222; background: #fff; line-height: 1.4; }
h1 code { font-size: 1.6rem; } h2 { border-bottom: 2px solid #eee; padding-bottom: .2rem; margin-top: 2rem; }
.lede, .note { color: #555; } .note { font-size: .9rem; }
table { border-collapse: collapse; } th, td { text-align: left; vertical-align: top; padding: .2rem .5rem; }
table.parity th { white-space: nowrap; } table.parity td, table.parity th { border-bottom: 1px solid #eee; }
.what { color: #666; font-size: .85rem; }
.ok { color: #0a7a2f; font-weight: 600; } .bad { color: #c00; font-weight: 600; } .todo { color: #888; }
.status span { margin-right: .5rem; white-space: nowrap; } .figure { color: #666; font-size: .85rem; }
table.index { width: 100%; } table.index td, table.index th { border-bottom: 1px solid #eee; }
.where { font-weight: normal; color: #666; font-size: .85rem; }
table.codes { width: 100%; table-layout: fixed; border: 1px solid #ddd; }
table.codes thead th { background: #f6f6f6; } table.codes th.layer, td.layer { width: 6rem; }
td.code { padding: 0; border-right: 1px solid #eee; }
td.code pre { margin: 0; padding: .1rem .3rem; font-size: 12px; line-height: 1.35; white-space: pre-wrap;
              overflow-wrap: anywhere; }
tr.anchor { border-top: 1px solid #e3d7f7; }
td.layer { font: 600 11px monospace; color: #792ee5; background: #faf7ff; word-break: break-all; }
span.line { display: block; padding-left: 3.2rem; text-indent: -3.2rem; } span.mark { background: #f3ecff; }
span.ln { display: inline-block; width: 2.6rem; color: #aaa; text-align: right; margin-right: .6rem; user-select: none; }
tr.lit td.code span.mark, tr.lit td.layer { background: #ffe9a8; } table.summary tr.lit td { background: #ffe9a8; }
.summaries { display: flex; flex-wrap: wrap; gap: 2rem; }
table.summary { font: 12px monospace; } table.summary thead th { border-bottom: 1px solid #999; }
table.summary tfoot td { border-top: 1px solid #999; } .num { text-align: right; }
pre.commands { background: #f6f6f6; padding: .6rem; font-size: 13px; overflow-x: auto; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .85rem; color: #555; }
footer { margin-top: 3rem; font-size: .8rem; color: #888; }
"""

#: Pointing at a layer (a code row or a summary row) marks that layer everywhere on the page.
SCRIPT = """
document.querySelectorAll('[data-layer]').forEach(function (el) {
  var names = el.getAttribute('data-layer').split(' ');
  function mark(on) {
    document.querySelectorAll('[data-layer]').forEach(function (other) {
      var theirs = other.getAttribute('data-layer').split(' ');
      if (theirs.some(function (n) { return names.indexOf(n) >= 0; })) { other.classList.toggle('lit', on); }
    });
  }
  el.addEventListener('mouseenter', function () { mark(true); });
  el.addEventListener('mouseleave', function () { mark(false); });
});
"""


def build(ids: Sequence[str], out: str, results: str = "results",
          parity_report: Optional[str] = "results/parity.json", log=print) -> list[str]:
    """Pages of ``ids`` and the index in ``out``; returns the paths written."""
    os.makedirs(out, exist_ok=True)
    report = read_parity_report(parity_report)
    manifest = _manifest(out)
    written = []
    for entry_id in ids:
        manifest[entry_id] = build_page(entry_id, out, results, report.get(entry_id))
        written.append(os.path.join(out, f"{entry_id}.html"))
        log(f"{written[-1]}  forward {manifest[entry_id]['forward']:.1e}")
        with open(os.path.join(out, "pages.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
    written.append(build_index(out))
    log(written[-1])
    return written


def main(argv=None) -> None:
    """``teach <id> [<id> ...] --out DIR`` or ``teach --all --out DIR``."""
    parser = _ArgumentParser(prog="python -m lightning_models teach",
                             description="Static HTML pages (open from the file system) putting a catalog network's "
                                         "Keras and Lightning code, summaries, parity figures and training curves "
                                         "side by side, and an index.")
    parser.add_argument("ids", nargs="*", help="catalog id(s), e.g. apa.fashion3_mlp (docs/catalog.md)")
    parser.add_argument("--all", action="store_true", help="every catalog network")
    parser.add_argument("--out", default="teach", help="folder of the pages (default: teach)")
    parser.add_argument("--results", default="results",
                        help="the exercise runner's folder, for the training curves (default: results)")
    parser.add_argument("--parity-report", default=os.path.join("results", "parity.json"),
                        help="the parity report (JSON; default results/parity.json), when present")
    args = parser.parse_args(argv)
    if args.all == bool(args.ids):
        parser.error("name catalog id(s) or --all (not both)")
    for entry_id in args.ids:
        check_arguments(entry_id, {})
    import logging
    import warnings

    # every page builds new models: TensorFlow's notice about retracing predict is expected here
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # the documents' own Keras style (Dense(..., input_shape=...)), kept in keras_reference
    warnings.filterwarnings("ignore", message="Do not pass an `input_shape`/`input_dim` argument to a layer")
    keras_reference.use_threads(1)
    torch.set_num_threads(1)  # tiny models: one thread each (lightning_models/threads.py)
    build(list(lightning_models.CATALOG) if args.all else args.ids, args.out, args.results, args.parity_report)
