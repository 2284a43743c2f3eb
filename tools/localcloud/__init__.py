"""A local real OpenStack cloud on one machine, for the self-healing suite.

Stdlib only: this package runs before any virtualenv exists.
"""
