"""Measurement, not tests: prompt-check quality, capacity under load, cold starts and stand-in
latency. Each prints numbers (`make eval-prompts`, `make loadtest`, `make bench`)."""
