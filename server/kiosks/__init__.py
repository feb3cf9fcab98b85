"""Kiosks as the server knows them: enrolled device keys, approved and revoked (docs/KIOSK.md)."""
