"""The command line's commands, one module per group; ``cli.py`` registers them on its app.

Heavy modules are imported inside the commands, so ``tokendistill --help`` stays fast.
"""
