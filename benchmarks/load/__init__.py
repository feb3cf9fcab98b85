"""The load test: sustained submissions and status look-ups against ``seda serve``.

``python -m benchmarks.load --config pg|sqlite|both --minutes M [--users U]`` (docs/PERFORMANCE.md).
The Locust users live in ``locustfile.py``, which only the Locust subprocess imports: importing
Locust patches the standard library with gevent.
"""
