"""The whole system run as production runs it, for the end-to-end and fault
tests and for the benchmark: nothing in it is deployed."""
