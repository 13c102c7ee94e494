"""Test fixtures shared by every service: real PostgreSQL and Kafka from the test profile."""
