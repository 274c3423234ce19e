"""One rule, two forms. A rule that the event flow applies to one request and the bulk path to
many at once is written once, as a core that takes `where` (choose by a condition): `np.where`
for arrays, `pick` for one value, where numpy's cost per call would outweigh the work.
Each pair is checked to agree by a property test (tests/test_properties.py)."""

from __future__ import annotations


def pick(condition, a, b):
    """`np.where` for one value."""
    return a if condition else b
