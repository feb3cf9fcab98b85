"""The pages reporters use in a browser: landing, report form, token page, status page.

Served by the server, rendered from templates with the translation catalogues; everything
secret happens in the page's own scripts (``web/app/``), which seal with the protocol code.
"""
