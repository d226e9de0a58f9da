"""WSGI entry points for bench/load.py: the app as production runs it, and a bare Flask baseline."""

from flask import Flask

bare = Flask("bare")


@bare.route("/bare")
def bare_endpoint():
    return "ok"


def make_app():
    from app import create_app

    return create_app()
