"""Scripted users: a Python client of the fake Bot API's ``/sim/`` control API."""
