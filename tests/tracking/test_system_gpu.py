"""GPU samples for ``system_metrics=True``: NVML read through ctypes, nothing where it is absent.

No GPU runs here, so the NVML calls are answered by a stand-in with NVML's C signatures (each writes
through the pointer it is given, as the library does); on a machine without the library the real
lookup must find nothing and the sampler must go on with CPU and memory.
"""

from __future__ import annotations

import ctypes

import pytest

from tuitrack.tracking import capture


class FakeNvml:
    """Two GPUs; the second one's utilisation call fails (an ERR_GPU_IS_LOST, say)."""

    def __init__(self, init: int = 0) -> None:
        self.init = init

    def nvmlInit_v2(self) -> int:
        return self.init

    def nvmlDeviceGetCount_v2(self, count) -> int:
        count._obj.value = 2
        return 0

    def nvmlDeviceGetHandleByIndex_v2(self, index: int, handle) -> int:
        handle._obj.value = 100 + index
        return 0

    def nvmlDeviceGetUtilizationRates(self, handle, util) -> int:
        if handle.value == 101:
            return 15
        util._obj.gpu, util._obj.memory = 87, 40
        return 0

    def nvmlDeviceGetMemoryInfo(self, handle, memory) -> int:
        memory._obj.total = 16 * 2**30
        memory._obj.used = 4 * 2**30 if handle.value == 100 else 8 * 2**30
        memory._obj.free = memory._obj.total - memory._obj.used
        return 0


def test_nvml_samples_each_gpu() -> None:
    sample = capture.nvml_sampler(FakeNvml())
    assert sample is not None
    assert sample() == {
        "system/gpu_0_utilization_percent": 87.0,
        "system/gpu_0_memory_percent": 25.0,
        "system/gpu_0_memory_used_mb": 4096.0,
        "system/gpu_1_memory_percent": 50.0,  # its utilisation call failed: left out, memory kept
        "system/gpu_1_memory_used_mb": 8192.0,
    }


def test_no_nvml_means_no_gpu_samples() -> None:
    assert capture.nvml_sampler(FakeNvml(init=9)) is None  # NVML_ERROR_DRIVER_NOT_LOADED
    assert capture.nvml_sampler(object()) is None  # a library without these calls
    for name in capture.NVML_LIBRARIES:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        pytest.skip("this machine has NVML")
    assert capture.nvml_sampler() is None


def test_sampler_keeps_cpu_and_memory_without_a_gpu() -> None:
    pytest.importorskip("psutil")
    sampler = capture.SystemSampler(lambda values: None)
    sampler._gpu = capture.nvml_sampler(FakeNvml())
    values = sampler.sample()
    assert {"system/cpu_percent", "system/gpu_0_utilization_percent"} <= set(values)

    def lost() -> dict[str, float]:
        raise OSError("GPU fell off the bus")

    sampler._gpu = lost
    assert set(sampler.sample()) == {"system/cpu_percent", "system/memory_percent", "system/process_rss_mb"}
    assert sampler._gpu is None
