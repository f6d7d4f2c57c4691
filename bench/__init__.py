"""Benchmarks: scripts run from the project root as `python -m bench.<script>` (see bench/README.md)."""
