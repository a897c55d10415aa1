"""Thin route handlers: parse, check the key, call a flow, return a schema."""
