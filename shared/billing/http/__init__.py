"""HTTP edge: Powertools routers, request/response schemas, the error table, the caller."""
