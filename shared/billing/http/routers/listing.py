"""Query parameters every list endpoint shares."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")]
Archived = Annotated[bool, Query(description="List archived records instead of active ones")]
Search = Annotated[str, Query(max_length=100, description="Case-insensitive substring search")]
