"""Request and answer models of the JSON API, by audience: common parts, the seed API, /api/v1."""
