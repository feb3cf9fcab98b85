"""The program that runs on a ward kiosk: touch UI, local sealing, encrypted outbox.

It is an edge like ``server``: it may use ``crypto`` and ``routing`` but never ``server``.
"""
