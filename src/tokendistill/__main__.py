"""``python -m tokendistill`` (and ``accelerate launch -m tokendistill``): the command line."""

from tokendistill.cli import app

app(prog_name="tokendistill")
