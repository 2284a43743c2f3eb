"""Unit tests of tools/localcloud (its pure parts, and process handling).

The tool lives outside the plugin package (it runs before any venv exists),
so ``tools/`` goes on sys.path here.
"""
import os
import sys

_TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'tools')
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)
