"""Evaluation: the dataset classifiers, metrics, the metric-key registry, reports and ranking."""
