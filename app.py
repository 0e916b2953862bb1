"""The reportqa server: the officer workspace at / and the public widget API at /api/v1.

    python app.py                      # http://127.0.0.1:7860
    uvicorn app:app                    # the same app for any ASGI server
    reportqa serve --host 0.0.0.0      # the same, through the CLI

Settings come from REPORTQA_... variables or reportqa.toml (see reportqa.config.Config).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from reportqa.config import Config, offline_environment

offline_environment()  # before FastAPI and Gradio are imported: no analytics, no hub calls


def __getattr__(name: str) -> Any:
    """`app` is built when first asked for, so importing this file does not load the index."""
    if name == "app":
        from reportqa.web.api import create_app

        application = create_app(Config(), warm=True)
        globals()["app"] = application
        return application
    raise AttributeError(name)


if __name__ == "__main__":
    from reportqa.cli import main

    port = os.environ.get("PORT", "7860")
    sys.exit(main(["serve", "--host", os.environ.get("HOST", "127.0.0.1"), "--port", port, *sys.argv[1:]]))
