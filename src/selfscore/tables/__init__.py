"""The definitions layer: a table's indicators, inputs, rules and exact numbers, loaded from ``schemas/``. Plain data."""
