"""The model reduced to a queue agrees with queueing theory; Little's law holds on its outputs."""

import pytest

from sim.validity.queueing import CASES, check_case, jackson, md1, mmc

CHECKED = [c for c in CASES if not c[0].startswith("M/D/1") or "0.8" in c[0]]


def test_reference_figures_from_the_engineering_notes():
    """M/M/3 at lambda 2.4, mu 1: Wq 1.0787, W 2.0787; the two-stage network: 1.1984 and 2.5984."""
    assert mmc(2.4, 1, 3)["wait"] == pytest.approx(1.0787, abs=1e-4)
    assert mmc(2.4, 1, 3)["system"] == pytest.approx(2.0787, abs=1e-4)
    assert jackson(2.4, 1, 3, 0.4, 2)["wait"] == pytest.approx(1.1984, abs=1e-4)
    assert jackson(2.4, 1, 3, 0.4, 2)["system"] == pytest.approx(2.5984, abs=1e-4)
    assert md1(0.5, 1)["wait"] == pytest.approx(0.5)  # Pollaczek-Khinchine: rho / (2 mu (1 - rho))
    assert mmc(0.5, 1, 1)["system_p90"] == pytest.approx(2 * 2.302585, rel=1e-6)  # M/M/1: exponential(mu - lambda)


@pytest.mark.parametrize("name, overrides, theory", CHECKED, ids=[c[0] for c in CHECKED])
def test_simulation_matches_theory(name, overrides, theory):
    heavy = "0.9" in name  # waits near saturation converge slowly: longer runs, looser bound
    out = check_case(overrides, theory(), replicates=8, weeks=20 if heavy else 10)
    for row in out["rows"]:
        assert row["half_width"] < (0.3 if heavy else 0.15) * row["theory"], row  # a tight interval
        assert abs(row["mean"] - row["theory"]) <= 1.5 * row["half_width"], row  # about 3.5 standard errors
    assert out["little_worst_relative_gap"] < 0.01
