"""SIGAP benchmarks: `sigap bench NAME` (or `make bench` for all of them).

Each module exposes `NAME`, `DESCRIPTION` and `run(options) -> int`; figures go to
`bench/README.md`.
"""
