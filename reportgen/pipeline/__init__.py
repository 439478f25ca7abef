"""Pipeline: the one place that sequences the layers below (check → figures → render → write), and runs
builds in worker processes for the front ends that build many."""
