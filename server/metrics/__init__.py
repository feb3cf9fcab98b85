"""Operational metrics in Prometheus's text format, carrying no report data (docs/DEPLOYMENT.md)."""
