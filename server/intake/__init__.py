"""Intake and tracking: publish the signed documents, take sealed reports, answer token holders."""
