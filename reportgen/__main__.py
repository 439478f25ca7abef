"""`python -m reportgen` runs the command line."""

from reportgen.apps.cli import run

if __name__ == "__main__":  # not when a worker process imports it (spawn)
    run()
