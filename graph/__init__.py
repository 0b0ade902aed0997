"""Loading, validating, building, storing, querying and analysing the plan graph."""
