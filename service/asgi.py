"""The ASGI entry point uvicorn imports in each worker: settings from the environment."""

from service.app import create_app

app = create_app()
