"""Formatters: pure functions from results to text, one module per format; `print` only at the edge."""
