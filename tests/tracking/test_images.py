"""log_image: arrays, PIL images and figures become PNG/JPEG artifacts; image series read back by key and step."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

import tuitrack
from tuitrack.tracking import images

np = pytest.importorskip("numpy")


@pytest.fixture
def store(store_path):
    """conftest's store_path: a fresh store made current, environment capture off, tuitrack reset after."""
    return store_path


def _decode(data: bytes):
    PIL = pytest.importorskip("PIL.Image")
    return np.asarray(PIL.open(io.BytesIO(data)))


def test_series_by_key_and_step_and_plain_files(store) -> None:
    gradient = np.linspace(0, 1, 12 * 8).reshape(8, 12)  # floats in [0, 1], HxW
    with tuitrack.start_run(name="imgs") as run:
        for step in (0, 5, 10):
            tuitrack.log_image((gradient * (step + 1) / 11), key="val/pred", step=step)
        run.log_image(np.zeros((4, 4, 3), dtype=np.uint8), key="mask")
        run.log_image(np.full((2, 3, 4), 200, dtype=np.uint8), artifact_file="plots/rgba.png")
    paths = [a.path for a in tuitrack.list_artifacts(run.id)]
    series = images.image_series(paths)
    assert series == {
        "mask": {0: "images/mask/step_000000000.png"},
        "val/pred": {
            0: "images/val/pred/step_000000000.png",
            5: "images/val/pred/step_000000005.png",
            10: "images/val/pred/step_000000010.png",
        },
    }
    data = tuitrack.read_artifact(run.id, "images/val/pred/step_000000010.png")
    assert images.image_size(data[:64]) == (12, 8)
    pixels = _decode(data)
    assert pixels.shape == (8, 12) and pixels[0, 0] == 0 and pixels[-1, -1] == 255
    assert _decode(tuitrack.read_artifact(run.id, "plots/rgba.png")).shape == (2, 3, 4)


def test_stdlib_png_encoder_round_trips_without_pillow(store, monkeypatch) -> None:
    rgb = (np.arange(5 * 7 * 3) % 256).astype(np.uint8).reshape(5, 7, 3)
    monkeypatch.setitem(sys.modules, "PIL", None)  # Pillow not installed: the stdlib encoder writes it
    data = images.to_image_bytes(rgb)
    with pytest.raises(tuitrack.errors.ValidationError, match="needs Pillow"):
        images.to_image_bytes(rgb, ".jpg")
    monkeypatch.undo()
    assert images.image_size(data) == (7, 5)
    assert (_decode(data) == rgb).all()


def test_pil_images_jpeg_and_figures(store) -> None:
    PIL = pytest.importorskip("PIL.Image")
    with tuitrack.start_run(name="pil") as run:
        run.log_image(PIL.new("RGBA", (9, 4), (10, 20, 30, 255)), artifact_file="a.jpg")  # RGBA -> RGB for JPEG
    data = tuitrack.read_artifact(run.id, "a.jpg")
    assert data[:2] == b"\xff\xd8" and images.image_size(data) == (9, 4)


def test_matplotlib_figure(store) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [1, 0])
    with tuitrack.start_run(name="fig") as run:
        run.log_image(fig, key="curve", step=3)
    assert images.image_size(tuitrack.read_artifact(run.id, "images/curve/step_000000003.png")) == (100, 50)


@pytest.mark.parametrize(
    ("image", "kwargs", "message"),
    [
        (np.zeros((2, 2)), {}, "exactly one of key"),
        (np.zeros((2, 2)), {"key": "a", "artifact_file": "b.png"}, "exactly one of key"),
        (np.full((2, 2), 300), {"key": "a"}, r"\[0, 255\]"),
        (np.full((2, 2), -0.5), {"key": "a"}, r"\[0, 1\] or \[0, 255\]"),
        (np.zeros((2, 2, 2)), {"key": "a"}, "HxW, HxWx1"),
        (np.zeros((2, 2)), {"key": "bad:key"}, "image key"),
        (np.zeros((2, 2)), {"key": "a", "step": 1.5}, "whole number"),
        (np.zeros((2, 2)), {"artifact_file": "../x.png"}, "artifact"),
        ("not an image", {"key": "a"}, "numpy array, a PIL image or a matplotlib figure"),
        (np.zeros((2, 2)), {"artifact_file": "x.gif"}, "png, .jpg or .jpeg"),
    ],
)
def test_bad_images_are_refused_and_write_nothing(store, image, kwargs, message) -> None:
    with tuitrack.start_run(name="bad") as run, pytest.raises(tuitrack.errors.ValidationError, match=message):
        run.log_image(image, **kwargs)
    assert tuitrack.list_artifacts(run.id) == []


def test_import_tuitrack_stays_free_of_imaging_libraries() -> None:
    # (numpy is left out: sqlite_utils imports it when installed, which issue 19 removes.)
    code = (
        "import sys, tuitrack; bad = [m for m in ('PIL', 'matplotlib', 'textual_image')"
        " if m in sys.modules]; print(bad)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_jpeg_and_gif_sizes() -> None:
    assert images.image_size(b"GIF89a\x05\x00\x03\x00") == (5, 3)
    assert images.image_size(b"nope") is None
    assert images.parse_image_path("images/a/b/step_000000007.png") == ("a/b", 7)
    assert images.parse_image_path("images/step_1.png") is None and images.parse_image_path("x/a/step_1.png") is None
