"""Coverage-guided fuzzing (atheris, libFuzzer) of every decoder of untrusted input.

Each ``fuzz_*`` module is one harness: ``TestOneInput(data)`` feeds the bytes to a family of
decoders and lets through only the typed errors they document, so any other exception, a
failed invariant (an ``AssertionError``), a hang or runaway memory is a crash. ``seeds()``
gives the valid inputs a fresh corpus starts from. ``python -m tests.fuzz`` runs them
(docs/FUZZING.md); ``tests/test_fuzz_short.py`` runs a short bounded round in CI.

This package's own ``__init__`` imports nothing of Sedā, so that the child process can import
the code under test inside ``atheris.instrument_imports`` (``tests/fuzz/child.py``).
"""

HARNESSES = (
    "fuzz_envelope",
    "fuzz_sealed",
    "fuzz_token",
    "fuzz_policy",
    "fuzz_directory",
    "fuzz_api_bodies",
    "fuzz_uploads",
    "fuzz_kiosk",
)
