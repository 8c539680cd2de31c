"""``python -m tokendistill.reference [FOLDER]``: rewrite the reference files (default: docs)."""

import sys

from tokendistill.reference.write import main

main(sys.argv[1:])
