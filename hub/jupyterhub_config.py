"""JupyterHub configuration of the course's classroom demo (``make hub-demo``; driven by hub/demo.py).

A real JupyterHub on 127.0.0.1 only, for four demo users: the instructor ``teacher`` and the
students ``alice``, ``bob`` and ``carol``.  Everything it writes lives under ``HUB_STATE``
(default ``build/hub``): the hub database and cookie secret, each user's home
(``home/<user>``), the nbgrader exchange (``exchange/``).

* Authenticator: JupyterHub's ``dummy`` authenticator, limited to the four users, one shared
  password (``HUB_PASSWORD``).  Demo only.
* Spawner: JupyterHub's ``SimpleLocalProcessSpawner``: every user's server is a local
  ``jupyterhub-singleuser`` process of this machine's user, with ``HOME=home/<user>`` — no system
  accounts needed, and no isolation between users (on a real hub, TLJH or Zero to JupyterHub
  give each user their own account or pod; quizzes/README.md section 8).
* Proxy: ``configurable-http-proxy`` from the npm registry (build/hub/node_modules).
* nbgrader: every user's ``~/.jupyter/nbgrader_config.py`` (written by hub/demo.py) names the
  course and the exchange, as quizzes/README.md tells a TLJH admin to; the instructor's also
  loads the quiz configuration of their private course copy, and enables the formgrader for
  themselves only.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("HUB_STATE", REPO / "build" / "hub")).resolve()
BIN = Path(sys.executable).parent
PROXY = Path(os.environ.get("HUB_PROXY", STATE / "node_modules" / ".bin" / "configurable-http-proxy"))
USERS = os.environ.get("HUB_USERS", "teacher alice bob carol").split()
ADMIN = os.environ.get("HUB_ADMIN", "teacher")
LOOPBACK = "127.0.0.1"

c = get_config()  # noqa: F821 (provided by traitlets when JupyterHub loads this file)

# --- network: the loopback interface only --------------------------------------------------
c.JupyterHub.ip = LOOPBACK
c.JupyterHub.port = int(os.environ.get("HUB_PORT", "8765"))
c.JupyterHub.hub_ip = LOOPBACK
c.JupyterHub.hub_port = int(os.environ.get("HUB_API_PORT", "8766"))
c.ConfigurableHTTPProxy.api_url = f"http://{LOOPBACK}:{os.environ.get('HUB_PROXY_API_PORT', '8767')}"
c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.ConfigurableHTTPProxy.should_start = True
c.Spawner.ip = LOOPBACK

# --- state under build/hub -------------------------------------------------------------------
(STATE / "state").mkdir(parents=True, exist_ok=True)
c.JupyterHub.db_url = f"sqlite:///{STATE / 'state' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "state" / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "state" / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "state" / "proxy.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server
c.JupyterHub.cleanup_proxy = True

# --- who may log in -------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ.get("HUB_PASSWORD", "autoencoders")
c.Authenticator.allowed_users = set(USERS)
c.Authenticator.admin_users = {ADMIN}

# --- each user's server: a local process with its own home ---------------------------------
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.environment = {
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    "COURSE_OFFLINE": "1",
    # each user's ~/.jupyter before the environment's etc/jupyter (where binder/postBuild writes a
    # per-user exchange for Binder and laptops): the demo's users read their own nbgrader_config.py
    "JUPYTER_PREFER_ENV_PATH": "0",
    "MPLBACKEND": "Agg",
}

# --- a token for the demo's driver (hub/demo.py, tests/hub/) ---------------------------------
if os.environ.get("HUB_DRIVER_TOKEN"):
    c.JupyterHub.services = [{"name": "demo-driver", "api_token": os.environ["HUB_DRIVER_TOKEN"]}]
    c.JupyterHub.load_roles = [
        {
            "name": "demo-driver",
            "services": ["demo-driver"],
            "scopes": ["admin:users", "admin:servers", "access:servers", "list:users", "read:users"],
        }
    ]
