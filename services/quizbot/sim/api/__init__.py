"""The fake Bot API: validation, flood limits, faults, state, and its HTTP app."""
