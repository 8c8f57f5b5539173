"""What a training script calls, with nothing but the standard library: ``python -I stdlib_smoke.py``.

Standard-library unittest on purpose: CI runs this in a venv holding the tuitrack wheel and no other
package (not even pytest) on the lowest and the newest Python found, so the logging library is shown to
work without any third-party package.  The full suite runs it too (tests/install/test_stdlib_smoke.py),
where it checks that a logged run loads no third-party module even when they are installed.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import tempfile
import unittest
from pathlib import Path

import tuitrack

OPTIONAL = ("numpy", "pandas", "matplotlib", "sklearn", "yaml", "psutil")


def _stdlib_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib"))


def third_party_modules() -> list[str]:
    """Loaded modules that are neither tuitrack, built in, nor from the standard library's folders."""
    tuitrack_dir = os.path.realpath(os.path.dirname(tuitrack.__file__))
    stdlib = _stdlib_dirs()
    site_dirs = tuple(os.path.realpath(p) for p in sys.path if "-packages" in p)
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or name in ("__main__", __name__):
            continue
        top = name.partition(".")[0]
        if top == "tuitrack" or top == "_distutils_hack":  # setuptools' .pth shim, loaded by site before us
            continue
        file = getattr(module, "__file__", None)
        if not file:
            continue  # built in or frozen
        real = os.path.realpath(file)
        if real.startswith(tuitrack_dir + os.sep):
            continue
        in_stdlib = any(real.startswith(d + os.sep) for d in stdlib)
        in_site = any(real.startswith(d + os.sep) for d in site_dirs)
        if in_site or not in_stdlib:
            found.append(name)
    return sorted(found)


class TrainingScriptWithStdlibOnly(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="tuitrack-smoke-")
        cls.root = Path(cls.tmp.name)
        tuitrack.set_store(cls.root / "store")
        tuitrack.set_experiment("smoke")

    @classmethod
    def tearDownClass(cls) -> None:
        tuitrack.reset()
        cls.tmp.cleanup()

    def test_1_a_whole_run_round_trips(self) -> None:
        data = self.root / "train.csv"
        data.write_text("x,y\n1,2\n3,4\n")
        ckpt = self.root / "weights.bin"
        ckpt.write_bytes(b"\x00\x01" * 10)
        with tuitrack.start_run(run_name="baseline", tags={"author": "alice"}, params={"lr": 0.1}) as run:
            tuitrack.log_params({"depth": 3, "data_version": "v2"})
            tuitrack.log_param("seed", 7)
            for step in range(50):
                tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
            tuitrack.log_metrics({"auc": 0.87, "recall": 0.8})
            tuitrack.set_tag("stage", "smoke")
            tuitrack.log_text("hello\n", "notes/readme.md")
            tuitrack.log_dict({"a": [1, 2]}, "config.json")
            tuitrack.log_artifact(ckpt, "ckpt")
            tuitrack.log_input(str(data), name="train")
            tuitrack.log_input([1, 2, 3], name="ids")
            tuitrack.log_model({"weights": [1.0, 2.0]}, "model")
            with tuitrack.start_run(run_name="child", nested=True) as child:
                tuitrack.log_metric("loss", 0.5)
        got = tuitrack.get_run(run.id)
        self.assertEqual(got.info.status, "FINISHED")
        self.assertEqual(got.info.run_name, "baseline")
        self.assertEqual(got.data.params, {"lr": "0.1", "depth": "3", "data_version": "v2", "seed": "7"})
        self.assertAlmostEqual(got.data.metrics["loss"], 1.0 / 50)
        self.assertEqual(got.data.tags["author"], "alice")
        self.assertEqual(got.data.tags["tuitrack.python"], ".".join(map(str, sys.version_info[:3])))
        self.assertEqual(len(tuitrack.get_metric_history(run.id, "loss")), 50)
        self.assertLessEqual(len(tuitrack.get_metric_history(run.id, "loss", max_points=10)), 20)
        self.assertEqual(tuitrack.get_run(child.id).info.parent_id, run.id)
        arts = {a.path for a in tuitrack.list_artifacts(run.id)}
        self.assertLessEqual({"notes/readme.md", "config.json", "ckpt/weights.bin", "model/model.pkl"}, arts)
        self.assertEqual(json.loads(tuitrack.read_artifact(run.id, "config.json")), {"a": [1, 2]})
        self.assertEqual(tuitrack.load_model(f"runs:/{run.id}/model"), {"weights": [1.0, 2.0]})
        packages = tuitrack.open_store().get_packages(run.id)
        self.assertIn("tuitrack", {k.lower() for k in packages})

    def test_2_search_and_resume(self) -> None:
        for depth in (2, 8, 12):
            with tuitrack.start_run(params={"depth": depth}):
                tuitrack.log_metric("auc", depth / 20)
        best = tuitrack.search_runs(
            "params.depth >= 8 AND metrics.auc > 0", order_by=["metrics.auc DESC"], max_results=1, output_format="list"
        )
        self.assertEqual(best[0].data.params["depth"], "12")
        self.assertEqual(len(tuitrack.search_runs("params.depth = '2'", output_format="list")), 1)
        run_id = best[0].info.run_id
        with tuitrack.start_run(run_id=run_id):
            tuitrack.log_metric("auc", 0.99)
        self.assertEqual(tuitrack.get_run(run_id[:8]).data.metrics["auc"], 0.99)
        self.assertIn("smoke", [e.name for e in tuitrack.list_experiments()])

    def test_3_optional_integrations_say_what_to_install(self) -> None:
        missing = [m for m in OPTIONAL if _importable(m) is False]
        if "pandas" in missing:
            with self.assertRaises(Exception) as ctx:
                tuitrack.search_runs(output_format="pandas")
            self.assertIn("pip install pandas", str(ctx.exception))
        if "psutil" in missing:
            with self.assertRaises(ImportError) as ctx2:
                tuitrack.start_run(system_metrics=True)
            self.assertIn("tuitrack[system]", str(ctx2.exception))
            tuitrack.end_run()
        with self.assertRaises(Exception) as ctx3:
            tuitrack.log_figure(object(), "fig.png")
        self.assertIn("matplotlib", str(ctx3.exception))
        tuitrack.end_run()

    def test_4_nothing_but_the_standard_library_was_loaded(self) -> None:
        self.assertEqual(third_party_modules(), [])


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    unittest.main(verbosity=1)
