"""Key figures of every shipped policy match the stored ones, so a change that moves results fails
loudly and says what moved. Refresh on purpose: ./run.sh test tests/test_golden.py --refresh-golden"""

import pytest

from golden import REFRESH, GOLDEN, differences, figures, read, shipped, stored_path, write


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.name)
def test_key_figures_match_the_stored_ones(path, refresh_golden):
    now = figures(path)
    if refresh_golden:
        write(path, now)
        return
    if not stored_path(path).exists():
        pytest.fail(f"no stored figures for scenarios/{path.name}; refresh with `{REFRESH}`", pytrace=False)
    moved = differences(read(path), now)
    if moved:
        pytest.fail(f"{len(moved)} key figures of scenarios/{path.name} moved (stored -> now):\n"
                    + "\n".join(moved)
                    + f"\nIf the change is intended, refresh with `{REFRESH}` and say in the commit why they moved.",
                    pytrace=False)


def test_every_stored_file_belongs_to_a_shipped_scenario(refresh_golden):
    names = {p.stem for p in shipped()}
    stale = sorted(p for p in GOLDEN.glob("*.json") if p.stem not in names)
    if refresh_golden:
        for p in stale:
            p.unlink()
        return
    assert not stale, f"stored figures without a scenario: {[p.name for p in stale]}; refresh with `{REFRESH}`"
