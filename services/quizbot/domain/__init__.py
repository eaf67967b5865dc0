"""The game rules, pure: standard library only, no I/O, no clock reads.

`now` is always passed in, and every function here is deterministic.
"""
