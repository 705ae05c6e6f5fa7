"""The API's documentation page works on a closed network, and the command line stays light."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from tests.conftest import ApiClient


def test_docs_page_uses_the_vendored_swagger_files(anon: ApiClient) -> None:
    page = anon.client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert '"url": "/api/v1/openapi.json"' in html
    bundle = anon.client.get("/static/ninja/swagger-ui-bundle.js")
    assert bundle.status_code == 200


def test_a_command_does_not_load_the_web_api(cli_env: dict[str, str], tmp_path: Any) -> None:
    """`daicho` commands set up Django without django-ninja and pydantic (0.1 s of CPU a run)."""
    probe = ("import sys; from daicho.cli import entry; entry._setup_django(); "
             "from daicho.cli import commands; "
             "print(sorted(m for m in ('ninja', 'pydantic', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], env=cli_env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"
