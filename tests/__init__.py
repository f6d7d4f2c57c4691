"""Nyx's tests; tests/README.md says which folder a test goes in."""

import pytest

# The shared helpers assert too; rewrite them so a failing one shows its values (before anything imports them).
pytest.register_assert_rewrite("tests.support")
