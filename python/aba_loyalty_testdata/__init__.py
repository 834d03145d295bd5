"""Test documents shared by the tests, the benchmarks and the demo: engine configs, orders,
memberships, the worked examples of docs/spec.md, the benchmark workload, the input field names.

Development tooling only, like ``aba_loyalty_core._testing``: importable in the project's venv
(``maturin develop`` puts ``python/`` on its path), never in the release wheel (pyproject.toml
leaves it out; tests/test_wheel.py checks the wheel's listing).

- ``documents``: builders of configs and orders, the typical engine config, ``with_change``;
- ``spec_examples``: the worked examples of docs/spec.md section 6;
- ``workload``: the realistic 20-program config and 10-line orders of the benches and the demo;
- ``fields``: every input field name, read from ``aba_loyalty_core.types``.
"""
