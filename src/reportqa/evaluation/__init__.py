"""Evaluation: the question set (dataset), pure metrics, item runs and scores, ragas, the regression gate.

`reportqa eval` is in `command`; `command.evaluate(assistant, items)` is the library entry point.
Imports nothing heavy.
"""
