"""Pytest fixtures that start real engine servers (Quack, Spark Connect) for the tests."""
