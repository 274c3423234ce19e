"""Scenario files: reading, the schema, --set overrides and reductions of a scenario."""
