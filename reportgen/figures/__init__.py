"""Figures: docs/metrics.md's metrics for a month, what is easily overlooked, the takeaways, and the
checked/review results that every renderer and front end starts from. Pure functions over the reading
layer's rows."""
