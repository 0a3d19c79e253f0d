"""The practice's chat page: a small web server for the website chat widget."""
