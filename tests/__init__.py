"""Tests of the Parakey integration, its API client and its simulator."""
