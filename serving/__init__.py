"""The serving warehouse: build it with dbt, publish a copy atomically, read KPIs from it."""
