"""Demo data: the 31 provinces, a few demo institutions each, and the Article 114 bodies."""
