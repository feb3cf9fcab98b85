"""Monthly analytic summaries (docs/SUMMARIES.md)."""
