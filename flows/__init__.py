"""Thin Prefect flows around ingestion/ and the serving warehouse, and the schedule."""
