"""The browser application: pages, templates and the static files they load."""
