"""The API's OpenAPI 3.1 document, served at /api/v1/openapi.json."""

from django.conf import settings
from django.http import JsonResponse

from config.http import allow_any_origin, public_cacheable, read_only_api

LEVELS = ["confirmed", "domain", "orcid", "organizer"]

COUNTS = {
    "type": "object",
    "required": ["total", "by_level"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "by_level": {
            "type": "object",
            "required": LEVELS,
            "properties": {level: {"type": "integer", "minimum": 0} for level in LEVELS},
            "additionalProperties": False,
        },
    },
}
DATETIME = {"type": "string", "format": "date-time"}
LETTER = {
    "type": "object",
    "required": ["slug", "title", "status", "url", "counts"],
    "properties": {
        "slug": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "string", "enum": ["published", "closed", "archived"]},
        "url": {"type": "string", "format": "uri"},
        "summary": {"type": "string"},
        "published_at": {"type": ["string", "null"], "format": "date-time"},
        "closes_at": {"type": ["string", "null"], "format": "date-time"},
        "goal": {"type": ["integer", "null"]},
        "revision": {"type": ["integer", "null"]},
        "counts": {"$ref": "#/components/schemas/Counts"},
    },
}
SIGNATORY = {
    "type": "object",
    "required": ["name", "affiliation", "role", "level", "organization", "signed_at", "notable"],
    "properties": {
        "name": {"type": "string"},
        "affiliation": {
            "type": "string",
            "description": "Empty when the signer chose to be listed by name only; "
            "role is then empty and organization null too.",
        },
        "role": {"type": "string"},
        "level": {"type": "string", "enum": LEVELS},
        "organization": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["name", "ror_id"],
                    "properties": {
                        "name": {"type": "string"},
                        "ror_id": {"type": ["string", "null"]},
                    },
                },
            ]
        },
        "orcid": {"type": ["string", "null"], "description": "ORCID iD when signed with ORCID."},
        "signed_at": DATETIME,
        "notable": {"type": "boolean"},
    },
}
ERRORS = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
}
NOT_FOUND = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


def json_response(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
MISSING = json_response("No published letter has this slug.", ref("NotFound"))
CACHED = {"description": "Not modified since the copy named by If-None-Match / If-Modified-Since."}


def document():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Undersigned API",
            "version": "1.0.0",
            "description": "Open letters, their counts by verification level, and their public "
            "signatories. Read-only, no authentication, CORS open to any origin. Email "
            "addresses are never part of any answer.",
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": {
            "/api/v1/letters/": {
                "get": {
                    "operationId": "listLetters",
                    "summary": "Published letters with their counts",
                    "responses": {
                        "200": json_response(
                            "Published and closed letters.",
                            {
                                "type": "object",
                                "required": ["results"],
                                "properties": {
                                    "results": {"type": "array", "items": ref("Letter")}
                                },
                            },
                        ),
                        "304": CACHED,
                    },
                }
            },
            "/api/v1/letters/{slug}/": {
                "get": {
                    "operationId": "getLetter",
                    "summary": "One letter with its counts by level",
                    "parameters": [SLUG],
                    "responses": {
                        "200": json_response("The letter.", ref("Letter")),
                        "304": CACHED,
                        "404": MISSING,
                    },
                }
            },
            "/api/v1/letters/{slug}/signatories/": {
                "get": {
                    "operationId": "listSignatories",
                    "summary": "Public signatories, notables first, then newest; cursor-paginated",
                    "parameters": [
                        SLUG,
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "Search name and affiliation. Control and invisible "
                            "characters are refused (400).",
                        },
                        {
                            "name": "level",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["", *LEVELS]},
                            "description": "Only this level; empty for all.",
                        },
                        {
                            "name": "organization",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 40},
                            "description": "ROR id of the organization. A NUL character is "
                            "refused (400), as in every parameter.",
                        },
                        {
                            "name": "country",
                            "in": "query",
                            "schema": {"type": "string", "pattern": "^([A-Za-z]{2})?$"},
                            "description": "ISO 3166 code of the organization's country.",
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "From the previous page's `next` link.",
                        },
                    ],
                    "responses": {
                        "200": json_response(
                            "A page of signatories.",
                            {
                                "type": "object",
                                "required": ["results", "next"],
                                "properties": {
                                    "results": {"type": "array", "items": ref("Signatory")},
                                    "next": {"type": ["string", "null"], "format": "uri"},
                                },
                            },
                        ),
                        "304": CACHED,
                        "400": json_response("A parameter is not valid.", ref("Errors")),
                        "404": MISSING,
                    },
                }
            },
            "/api/v1/letters/{slug}/count": {
                "get": {
                    "operationId": "getCount",
                    "summary": "The live count, for counters and widgets",
                    "parameters": [SLUG],
                    "responses": {
                        "200": json_response(
                            "Counts by level.",
                            {
                                "type": "object",
                                "required": ["slug", "total", "by_level"],
                                "properties": {
                                    "slug": {"type": "string"},
                                    "total": {"type": "integer", "minimum": 0},
                                    "by_level": COUNTS["properties"]["by_level"],
                                    "goal": {"type": ["integer", "null"]},
                                    "updated_at": {"type": ["string", "null"]},
                                },
                            },
                        ),
                        "304": CACHED,
                        "404": MISSING,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Counts": COUNTS,
                "Letter": LETTER,
                "Signatory": SIGNATORY,
                "Errors": ERRORS,
                "NotFound": NOT_FOUND,
            }
        },
    }


@read_only_api
def openapi(request):
    return allow_any_origin(public_cacheable(JsonResponse(document()), max_age=3600))
