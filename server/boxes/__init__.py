"""Suggestion boxes (Note to Art. 114): the registry, weekly openings, transcribed letters,
minutes for the head of the institution, token slips, and missed weeks (docs/BOXES.md)."""
