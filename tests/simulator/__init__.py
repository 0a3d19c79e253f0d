"""A patient simulator: random personas talk to the real assistant, invariants judge the talk.

personas.py draws a patient from a seed, phrasing.py says their facts the way people write,
runner.py plays one persona against a running assistant, invariants.py checks the recorded
conversation, and `python -m tests.simulator` runs many and reports pass rates.
"""
