"""mitui against the physical limit: the benchmark behind ``benchmarks/bench.py``, split along its seams."""
