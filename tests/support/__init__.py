"""Helpers the tests and the benches share: real servers on loopback, and waits with a bound.

Nothing in this package imports pytest or the app, so `bench/` uses it without pulling
a test run into a measurement.
"""
