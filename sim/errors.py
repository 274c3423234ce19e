"""Error types for bad input, so the CLI can print one clear line and never a traceback."""

from os import PathLike


class InputError(Exception):
    """Bad input: names where it is, the key and what was expected."""

    def __init__(self, where: str | PathLike[str], key: str, expected: str):
        self.where, self.key, self.expected = str(where), key, expected
        super().__init__(f"{self.where}: {key}: {expected}")


class ScenarioError(InputError):
    """A bad scenario value, in a file or given by --set, or a bad data or experiment file."""


class UsageError(InputError):
    """A bad command-line option that is not a scenario value (--out, --workers, --dask, ...)."""
