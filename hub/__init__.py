"""The classroom demo on a real JupyterHub: ``python -m hub.demo`` (``make hub-demo``), jupyterhub_config.py."""
