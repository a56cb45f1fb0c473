"""The teaching pages (issue 13): ``python -m lightning_models teach <id> --out DIR`` / ``--all``.

The fast tests build three pages (a functional model with helpers and a sub-model, a CNN with
BatchNormalization, the iris network with exercise results and a parity report given as
fixtures) and check what they say against the models themselves; the slow one opens them in
headless Chromium (selenium) and checks what a reader sees.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import urllib.parse
import urllib.request

import numpy as np
import pytest

import lightning_models  # noqa: F401  (before keras_reference: the project's import order)
import keras_reference
from crosscheck import teach
from crosscheck.exercises.reports import write_history
from lightning_models.hyperparameters import UsageError

PAGES = ("apa.fashion3_mlp_2d", "fp.conv_batchnorm", "slides.iris_mlp")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def write_results(folder: str) -> dict:
    """What the exercise runner leaves for slides-iris (results.csv, runs/*/*/history.csv), two
    points and both frameworks; returns the histories written."""
    exercise = os.path.join(folder, "slides-iris")
    histories = {}
    rows = []
    for p, point in enumerate(("loss=mse", "loss=binary_crossentropy,learning_rate=0.1")):
        for f, framework in enumerate(("lightning", "keras")):
            run_dir = os.path.join("runs", point, f"{framework}-seed0")
            os.makedirs(os.path.join(exercise, run_dir))
            loss = list(np.round(np.linspace(0.9, 0.3 + 0.1 * p, 6) + 0.01 * f, 4))
            histories[(point, framework)] = {"loss": loss, "accuracy": list(np.linspace(0.3, 0.9, 6))}
            write_history(histories[(point, framework)], os.path.join(exercise, run_dir, "history.csv"))
            rows.append({"exercise": "slides-iris", "point": point, "framework": framework, "seed": 0,
                         "network": "slides.iris_mlp", "run_dir": run_dir})
    with open(os.path.join(exercise, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return histories


REPORT = {"networks": {"slides.iris_mlp": {
    "trajectory": {"value": 1.1e-06, "tolerance": 1e-05, "passed": True, "what": "per-epoch losses, 100 epochs"},
    "trained_metric": {"metric": "accuracy", "keras": 0.62, "lightning": 0.31, "tolerance": 0.05, "passed": False}}}}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Three pages and the index, built by the command's own main()."""
    root = tmp_path_factory.mktemp("teach")
    results = root / "results"
    histories = write_results(str(results))
    report = root / "parity.json"
    report.write_text(json.dumps(REPORT))
    out = root / "pages"
    teach.main([*PAGES, "--out", str(out), "--results", str(results), "--parity-report", str(report)])
    return {"out": str(out), "results": str(results), "histories": histories}


def page(site, entry_id: str) -> str:
    with open(os.path.join(site["out"], f"{entry_id}.html"), encoding="utf-8") as f:
        return f.read()


def text(fragment: str) -> str:
    """The text of an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def cells(document: str, css: str) -> list[str]:
    return [text(m) for m in re.findall(rf'<td class="[^"]*\b{css}\b[^"]*"><pre>(.*?)</pre></td>', document, re.S)]


def test_alignment_pairs_the_shared_layer_names():
    keras_code = ['def build(units):', '    """Dense named ``output`` below."""',
                  '    x = keras.layers.Dense(units,', '                           name="hidden1")(inputs)',
                  '    for i in range(2):', "        x = keras.layers.Conv2D(8, 3, name=f'conv{i + 1}')(x)",
                  '    x = keras.layers.Flatten()(x)', '    return keras.layers.Dense(1, name="output")(x)']
    torch_code = ['class Net(KerasModule):', '    """The output layer is ``output``."""',
                  '    def __init__(self):', '        self.hidden1 = Dense(4, 8)',
                  '        for i in range(2):', '            layers[f"conv{i + 1}"] = Conv2D(8, 8, 3)',
                  '        layers["flatten"] = Flatten()', '        self.output = Dense(8, 1)']
    lines = lambda texts: [{"text": t, "line": i + 1, "part": 0, "file": "x.py"} for i, t in enumerate(texts)]  # noqa: E731
    layers = [("hidden1", "Dense"), ("conv1", "Conv2D"), ("conv2", "Conv2D"), ("flatten", "Flatten"), ("output", "Dense")]
    anchors = teach.align(lines(keras_code), lines(torch_code), layers)
    # name= on a continuation line counts on the line that opened the call; a loop's f-string
    # names both convolutions; Keras' unnamed Flatten() meets the torch key by its class; the
    # docstrings that mention ``output`` are not anchors.
    assert anchors == [(2, 3, ["hidden1"]), (5, 5, ["conv1", "conv2"]), (6, 6, ["flatten"]), (7, 7, ["output"])]


def test_every_catalog_network_has_both_codes_to_show():
    for entry_id in lightning_models.CATALOG:
        keras_lines = teach.code_pane(keras_reference.CATALOG[entry_id], keras_reference.CATALOG)
        torch_lines = teach.code_pane(lightning_models.CATALOG[entry_id], lightning_models.CATALOG)
        for lines in (keras_lines, torch_lines):
            assert any(f'@register("{entry_id}"' in line["text"] for line in lines if line["part"] == 0), entry_id


def test_page_shows_both_codes_aligned_on_layer_names(site):
    document = page(site, "apa.fashion3_mlp_2d")
    keras_text = "\n".join(cells(document, "code-keras"))
    torch_text = "\n".join(cells(document, "code-lightning"))
    assert "def fashion3_mlp_2d(" in keras_text and "class Fashion3MLP2D(KerasModule):" in torch_text
    # the helpers the class builds its layers with follow it in its pane
    assert "def dense_stack(" in torch_text and "def mlp(" in torch_text
    # each anchored row starts, on both sides, with the lines that name its layers
    rows = re.findall(r'<tr class="anchor" data-layer="([^"]+)">(.*?)</tr>', document, re.S)
    by_layer = {names: (cells(row, "code-keras")[0], cells(row, "code-lightning")[0]) for names, row in rows}
    assert set(" ".join(by_layer).split()) >= {"hidden1", "rdim", "hidden2", "output"}
    for names, (keras_cell, torch_cell) in by_layer.items():
        for name in names.split():
            assert f'name="{name}"' in keras_cell, (name, keras_cell)
            assert re.search(rf'\b{name}\b', torch_cell), (name, torch_cell)
    # highlighted by Pygments, with its stylesheet inline
    assert '<span class="k">def</span>' in document and ".highlight .k" in document


def test_page_figures_are_the_models_own(site):
    for entry_id in PAGES:
        document = page(site, entry_id)
        keras_model = keras_reference.build(entry_id)
        torch_model = lightning_models.build(entry_id)
        assert f"Keras {keras_model.count_params():,}; Lightning {torch_model.count_params():,}" in document
        forward = float(re.search(r"max \|keras - lightning\| = ([0-9.e+-]+)", text(document)).group(1))
        assert forward <= teach.FORWARD_TOLERANCE
        keras_rows = re.search(r'id="summary-keras">.*?<tbody>(.*?)</tbody>', document, re.S).group(1)
        torch_rows = re.search(r'id="summary-lightning">.*?<tbody>(.*?)</tbody>', document, re.S).group(1)
        leaves = [name for name, module in torch_model.named_modules() if name and not list(module.children())]
        assert keras_rows.count("<tr") == len(keras_model.layers)
        assert torch_rows.count("<tr") == len(leaves)
    # BatchNormalization: torch holds gamma and beta, Keras also counts the moving statistics
    assert "BatchNorm moving statistics" in page(site, "fp.conv_batchnorm")


def test_page_cites_document_and_exercises(site):
    document = text(page(site, "slides.iris_mlp"))
    assert "seed 004" in document and '"Multiperceptron"' in document
    exercise = teach.EXERCISES["slides-iris"]
    assert f"slides-iris (seed 004, lines {exercise.lines}): {exercise.asks}" in document
    assert "python -m lightning_models fit --config configs/slides.iris_mlp.yaml" in document
    assert "python -m lightning_models exercise slides-iris --framework keras" in document
    assert "python -m lightning_models exercise slides-iris --framework lightning" in document


def test_parity_report_levels_and_not_yet_measured(site):
    iris = text(page(site, "slides.iris_mlp"))
    assert re.search(r"trajectory\s*difference 1.10e-06; tolerance 1.00e-05\s*agrees", iris)
    assert re.search(r"trained metric\s*accuracy; keras 0.62; lightning 0.31; tolerance 0.05\s*differs", iris)
    other = text(page(site, "apa.fashion3_mlp_2d"))
    assert re.search(r"trajectory\s*not yet measured", other) and re.search(r"trained metric\s*not yet measured", other)


def test_curves_of_both_frameworks_from_the_exercise_results(site):
    document = page(site, "slides.iris_mlp")
    name = "slides.iris_mlp.slides-iris.svg"
    assert f'<img src="{name}"' in document
    with open(os.path.join(site["out"], name), encoding="utf-8") as f:
        svg = f.read()
    # both frameworks' curves (and legend samples), each in its framework's colour, on both points
    for framework, colour in teach.COLOURS.items():
        assert svg.count(f"stroke: {colour}") >= 2, framework
    assert "loss=mse" in svg and "loss=binary_crossentropy,learning_rate=0.1" in svg
    # the networks without results say how to get them
    assert "no results yet" in text(page(site, "apa.fashion3_mlp_2d"))


def test_index_lists_every_network_and_links_the_built_pages(site):
    with open(os.path.join(site["out"], "index.html"), encoding="utf-8") as f:
        index = f.read()
    for entry_id in lightning_models.CATALOG:
        assert f"<code>{entry_id}</code>" in index
    links = re.findall(r'href="([^"#:]+)"', index)
    assert sorted(links) == sorted(f"{entry_id}.html" for entry_id in PAGES)
    assert all(os.path.isfile(os.path.join(site["out"], link)) for link in links)
    assert text(index).count("page not built") == len(lightning_models.CATALOG) - len(PAGES)
    # trained metric ✗ from the report; parameters and forward ✓ for every built page
    assert "trained metric ✗" in text(index) and text(index).count("forward ✓") == len(PAGES)


def test_unknown_id_and_missing_ids_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="did you mean slides.iris_mlp"):
        teach.main(["slides.iris_mpl", "--out", str(tmp_path)])
    with pytest.raises(UsageError, match="--all"):
        teach.main(["--out", str(tmp_path)])
    assert not os.listdir(tmp_path)


# -- in a real browser ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if not os.path.isfile(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium chromium-driver; .ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--allow-file-access-from-files"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def severe(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot_colours(driver) -> tuple[int, float]:
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")).astype(np.int64)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    return len(np.unique(packed)), float(pixels.var())


@pytest.mark.slow
def test_pages_render_in_chromium(site, browser):
    from selenium.webdriver import ActionChains
    from selenium.webdriver.common.by import By

    texts = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim());"
    for entry_id in PAGES:
        browser.get("file://" + os.path.join(site["out"], f"{entry_id}.html"))
        assert severe(browser) == [], entry_id
        assert browser.title == f"{entry_id}: Keras and Lightning"
        keras_code = "\n".join(browser.execute_script(texts, "td.code-keras"))
        torch_code = "\n".join(browser.execute_script(texts, "td.code-lightning"))
        assert f"def {keras_reference.CATALOG[entry_id].__name__}(" in keras_code
        assert f"class {lightning_models.CATALOG[entry_id].__name__}(" in torch_code
        for side in ("keras", "lightning"):
            rows = browser.execute_script(texts, f"#summary-{side} tbody tr")
            assert rows and all(rows), (entry_id, side)
            assert browser.find_element(By.ID, f"summary-{side}").is_displayed()
        # pointing at the last layer's summary row marks that layer in the code table
        row = browser.find_elements(By.CSS_SELECTOR, "#summary-keras tbody tr")[-1]
        layer = row.get_attribute("data-layer")
        ActionChains(browser).move_to_element(row).perform()
        assert browser.find_elements(By.CSS_SELECTOR, f"tr.anchor.lit[data-layer~='{layer}']"), layer
        colours, variance = screenshot_colours(browser)
        assert colours > 1 and variance > 100, (entry_id, colours, variance)
    # the curves' image loaded (an SVG of non-zero size)
    browser.get("file://" + os.path.join(site["out"], "slides.iris_mlp.html"))
    image = browser.find_element(By.CSS_SELECTOR, "#curves img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0


@pytest.mark.slow
def test_index_links_resolve_in_chromium(site, browser):
    from selenium.webdriver.common.by import By

    browser.get("file://" + os.path.join(site["out"], "index.html"))
    assert severe(browser) == []
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")]
    assert len(links) == len(PAGES)
    for link in links:
        path = urllib.request.url2pathname(urllib.parse.urlparse(link).path)
        assert os.path.isfile(path), link
        browser.get(link)
        assert severe(browser) == [] and browser.find_element(By.TAG_NAME, "h1").text
        back = browser.find_element(By.LINK_TEXT, "← every network").get_attribute("href")
        assert os.path.isfile(urllib.request.url2pathname(urllib.parse.urlparse(back).path))


def test_teach_is_a_project_command():
    from crosscheck.cli import PROJECT_COMMANDS

    assert PROJECT_COMMANDS["teach"][0] == "crosscheck.teach"
