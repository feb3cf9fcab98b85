"""The kiosk's touch screen: a local web UI on 127.0.0.1 behind a per-start secret, shown by
Chromium in kiosk mode (docs/KIOSK.md)."""
