"""Station simulator (``ecosentinel simulate``): honest HJ 212 stations plus injectable falsification.

The generated data feed the tests and benchmarks of screening: every injected scenario comes with a
ground-truth :class:`Label`. See docs/simulator.md.
"""

from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import Label, ScenarioSpec, SimulationConfig, SimulationResult
from ecosentinel.simulator.outputs import write_outputs
from ecosentinel.simulator.scenarios import CATALOGUE
from ecosentinel.simulator.sender import SendStats, send_live, send_to_server

SCENARIO_IDS: tuple[str, ...] = tuple(CATALOGUE)

__all__ = [
    "SCENARIO_IDS",
    "Label",
    "ScenarioSpec",
    "SendStats",
    "SimulationConfig",
    "SimulationResult",
    "send_live",
    "send_to_server",
    "simulate",
    "write_outputs",
]
