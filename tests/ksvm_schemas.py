"""The project's record schemas: one file per event type under
tests/schemas/ (<event_type>.schema.json), sharing common.schema.json.
Adding a record type is adding a file.  Uses Debian's python3-jsonschema."""
import glob
import json
import os

import jsonschema

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")


class Schemas:
    def __init__(self, directory=HERE):
        self.store = {}
        self.by_type = {}
        for path in sorted(glob.glob(os.path.join(directory, "*.schema.json"))):
            with open(path) as f:
                s = json.load(f)
            jsonschema.Draft202012Validator.check_schema(s)
            self.store[s["$id"]] = s
            name = os.path.basename(path)[: -len(".schema.json")]
            if name != "common":
                self.by_type[name] = s
        self.validators = {}
        for name, s in self.by_type.items():
            resolver = jsonschema.RefResolver.from_schema(s, store=self.store)
            self.validators[name] = jsonschema.Draft202012Validator(s, resolver=resolver)

    def errors(self, record):
        """A list of (path, message); empty when the record is valid."""
        if not isinstance(record, dict):
            return [("(record)", "not a JSON object")]
        et = record.get("event_type")
        v = self.validators.get(et)
        if v is None:
            return [("event_type", f"no schema for event_type {et!r}")]
        out = []
        for e in sorted(v.iter_errors(record), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in e.absolute_path) or "(record)"
            out.append((where, e.message))
        return out
