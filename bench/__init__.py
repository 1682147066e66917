"""Vizorch's benchmark suite: `python -m bench` starts its own servers, measures each figure of
issue 8 against a baseline taken in the same run, and writes docs/PERFORMANCE.md."""
