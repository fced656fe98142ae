"""Answers over the store, in plain numpy and dataclasses (no Qt)."""
