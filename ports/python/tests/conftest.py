"""Puts ``tests/`` on the import path so test modules can share ``support``."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
