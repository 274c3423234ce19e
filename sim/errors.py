"""One error type for bad input, so the CLI can print one clear line and never a traceback."""


class ScenarioError(Exception):
    """Bad input: names the file, the key and what was expected."""

    def __init__(self, where: str, key: str, expected: str):
        self.where, self.key, self.expected = str(where), key, expected
        super().__init__(f"{self.where}: {key}: {expected}")
