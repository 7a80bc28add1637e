"""A stand-in for the AWX / Automation Controller REST API (v2), enough for the awx.awx modules
that awx/configure.yml uses, so that its idempotence and the objects it builds can be asserted
without a controller.

What it does the way AWX does, because configure.yml's correctness depends on it: token login
with basic auth and Bearer tokens afterwards; list views with `count`/`results` and field filters
(including `or__id`/`or__name`); objects with `id`, `type`, `url`, `related`, `summary_fields`;
secret credential inputs answered as `$encrypted$`; validation of references (the referenced object
must exist), of custom credential types (kind cloud/net, injectors may only use declared inputs
and `tower.filename.<file>` of declared file templates) and of survey specs (the errors AWX
returns for missing keys, unknown types, defaults outside the choices, duplicate variables);
project creation starts a project update that the module waits on; associations (credentials,
workflow success/failure/always nodes, ...) by POST {id} / {id, disassociate}.
What it does not do: run anything, permissions beyond one admin user, or the many fields AWX
fills in with defaults (configure.yml only compares what it sets).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlparse

ENCRYPTED = "$encrypted$"
USERNAME, PASSWORD = "admin", "awx-admin-password"
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
TYPES = {
    "organizations": "organization", "execution_environments": "execution_environment", "projects": "project",
    "project_updates": "project_update", "credential_types": "credential_type", "credentials": "credential",
    "inventories": "inventory", "inventory_sources": "inventory_source", "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template", "workflow_job_template_nodes": "workflow_job_template_node",
    "labels": "label", "instance_groups": "instance_group", "notification_templates": "notification_template",
}
# Fields holding the id of an object of another collection: AWX rejects ids that do not exist.
REFERENCES = {
    "organization": "organizations", "execution_environment": "execution_environments", "default_environment": "execution_environments",
    "project": "projects", "source_project": "projects", "credential_type": "credential_types", "inventory": "inventories",
    "credential": "credentials", "workflow_job_template": "workflow_job_templates",
}
ASSOCIATIONS = {"credentials", "labels", "instance_groups", "success_nodes", "failure_nodes", "always_nodes",
                "notification_templates_started", "notification_templates_success", "notification_templates_error",
                "notification_templates_approvals", "input_inventories", "galaxy_credentials"}
UNIFIED = {"job_templates": "job_template", "workflow_job_templates": "workflow_job_template", "projects": "project",
           "inventory_sources": "inventory_source"}


class FakeAWX:
    def __init__(self) -> None:
        self.objects: Dict[str, Dict[int, Dict[str, Any]]] = {name: {} for name in TYPES}
        self.secrets: Dict[int, Dict[str, Any]] = {}
        self.surveys: Dict[Tuple[str, int], Dict[str, Any]] = {}
        self.links: Dict[Tuple[str, int, str], List[int]] = {}
        self.tokens: Dict[str, int] = {}
        self.writes: List[Tuple[str, str]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.create("organizations", {"name": "Default"})
        aws = self.create("credential_types", {"name": "Amazon Web Services", "kind": "cloud", "managed": True, "inputs": {
            "fields": [{"id": "username", "type": "string"}, {"id": "password", "type": "string", "secret": True}]}, "injectors": {}})
        self.create("credentials", {"name": "AWS lab", "credential_type": aws["id"], "organization": 1,
                                    "inputs": {"username": "testing", "password": "testing"}})
        self.writes.clear()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeAWX":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- the store ----------------------------------------------------------------------------
    def create(self, collection: str, data: Dict[str, Any]) -> Dict[str, Any]:
        oid = next(self._ids)
        obj = {"id": oid, "type": TYPES[collection], "summary_fields": {}, **data}
        if collection == "credentials":
            obj = self._store_secrets(oid, obj, data)
        self.objects[collection][oid] = obj
        return self.render(collection, obj)

    def _store_secrets(self, oid: int, obj: Dict[str, Any], data: Dict[str, Any]) -> Dict[str, Any]:
        ctype = self.objects["credential_types"][obj["credential_type"]]
        secret_ids = {f["id"] for f in ctype["inputs"].get("fields", []) if f.get("secret")}
        stored = dict(self.secrets.get(oid, {}))
        for key, value in (data.get("inputs") or {}).items():
            if not (key in secret_ids and value == ENCRYPTED):
                stored[key] = value
        self.secrets[oid] = stored
        return {**obj, "inputs": {k: (ENCRYPTED if k in secret_ids else v) for k, v in stored.items()}}

    def render(self, collection: str, obj: Dict[str, Any]) -> Dict[str, Any]:
        url = f"/api/v2/{collection}/{obj['id']}/"
        related = {name: f"{url}{name}/" for name in ASSOCIATIONS | {"survey_spec", "update"}}
        return {**obj, "url": url, "related": related}

    def find(self, name: str, collection: str) -> Optional[Dict[str, Any]]:
        return next((o for o in self.objects[collection].values() if o.get("name") == name), None)

    def associated(self, collection: str, oid: int, association: str) -> List[Dict[str, Any]]:
        target = "workflow_job_template_nodes" if association.endswith("_nodes") else association
        target = "credentials" if association == "galaxy_credentials" else target
        return [self.objects[target][i] for i in self.links.get((collection, oid, association), [])]

    # ---- validation as AWX answers it ----------------------------------------------------------
    def validate(self, collection: str, data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        for field, target in REFERENCES.items():
            value = data.get(field)
            if value not in (None, "") and int(value) not in self.objects[target]:
                return {field: [f'Invalid pk "{value}" - object does not exist.']}
        if collection == "credential_types":
            if data.get("kind") not in ("cloud", "net"):
                return {"kind": ["Must be 'cloud' or 'net', not {}".format(data.get("kind"))]}
            fields = {f["id"] for f in (data.get("inputs") or {}).get("fields", [])}
            missing_required = set((data.get("inputs") or {}).get("required", [])) - fields
            if missing_required:
                return {"inputs": [f"required fields {sorted(missing_required)} are not defined"]}
            injectors = data.get("injectors") or {}
            files = {key.split(".", 1)[1] for key in injectors.get("file", {})}
            for section in ("extra_vars", "env", "file"):
                for value in injectors.get(section, {}).values():
                    for name in re.findall(r"\{\{\s*([\w.]+)\s*\}\}", str(value)):
                        if name not in fields and not (name.startswith("tower.filename.") and name.split(".", 2)[2] in files):
                            return {"injectors": [f"{name} uses an undefined field ('{name}' is undefined)"]}
        if collection == "job_templates" and not data.get("playbook"):
            return {"playbook": ["This field is required."]}
        return None

    @staticmethod
    def validate_survey(spec: Dict[str, Any]) -> Optional[str]:
        for key in ("name", "description", "spec"):
            if key not in spec:
                return f"'{key}' missing from survey spec."
        if not isinstance(spec["spec"], list):
            return "'spec' must be a list of items."
        seen = set()
        for index, question in enumerate(spec["spec"]):
            for key in ("type", "question_name", "variable", "required"):
                if key not in question:
                    return f"'{key}' missing from survey question {index}."
            if question["type"] not in SURVEY_TYPES:
                return f"'{question['type']}' in survey question {index} is not one of '{', '.join(sorted(SURVEY_TYPES))}' allowed question types."
            if question["variable"] in seen:
                return f"'variable' '{question['variable']}' duplicated in survey question {index}."
            seen.add(question["variable"])
            if question["type"] in ("multiplechoice", "multiselect"):
                choices = question.get("choices")
                if isinstance(choices, str):
                    choices = choices.split("\n")
                if not choices:
                    return f"'choices' missing from survey question {index}."
                if question.get("default") not in (None, "") and question["default"] not in choices:
                    return f"Default choice must be answered from the choices listed. Invalid default in survey question {index}."
            if question["type"] == "integer" and question.get("default") not in (None, "") and not isinstance(question["default"], int):
                return f"Value {question['default']} for '{question['variable']}' expected to be an integer."
        return None

    # ---- HTTP -----------------------------------------------------------------------------------
    def _handler(self):
        awx = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet: pytest shows failures, not access logs
                pass

            def _send(self, status: int, body: Any = None) -> None:
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-API-Product-Name", "AWX")
                self.send_header("X-API-Product-Version", "24.6.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _body(self) -> Dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}") if length else {}

            def _authorized(self) -> bool:
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                return token in awx.tokens

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_PATCH(self) -> None:
                self._dispatch("PATCH")

            def do_DELETE(self) -> None:
                self._dispatch("DELETE")

            def _dispatch(self, method: str) -> None:
                parsed = urlparse(self.path)
                parts = [p for p in parsed.path.split("/") if p][2:]  # drop api, v2
                query = dict(parse_qsl(parsed.query))
                with awx._lock:
                    if parts[:1] == ["tokens"]:
                        return self._tokens(method, parts)
                    if not self._authorized():
                        return self._send(401, {"detail": "Authentication credentials were not provided."})
                    if method != "GET":
                        awx.writes.append((method, parsed.path))
                    if parts[:1] == ["ping"]:
                        return self._send(200, {"version": "24.6.1"})
                    if parts[:1] == ["unified_job_templates"]:
                        found = [awx.render(c, o) for c, t in UNIFIED.items() for o in awx.objects[c].values()]
                        return self._send(200, self._page(found, query))
                    collection = parts[0]
                    if collection not in TYPES:
                        return self._send(404, {"detail": "Not found."})
                    if len(parts) == 1:
                        return self._collection(method, collection, query)
                    oid = int(parts[1])
                    if oid not in awx.objects[collection]:
                        return self._send(404, {"detail": "Not found."})
                    if len(parts) == 2:
                        return self._object(method, collection, oid)
                    return self._sub(method, collection, oid, parts[2])

            def _tokens(self, method: str, parts: List[str]) -> None:
                if method == "POST":
                    auth = base64.b64decode((self.headers.get("Authorization") or "Basic ").split(" ", 1)[1] or b"").decode()
                    if auth != f"{USERNAME}:{PASSWORD}":
                        return self._send(401, {"detail": "Invalid username/password."})
                    token = f"token-{next(awx._ids)}"
                    awx.tokens[token] = len(awx.tokens) + 1
                    return self._send(201, {"id": awx.tokens[token], "token": token})
                if method == "DELETE":
                    return self._send(204)
                return self._send(405, {"detail": "Method not allowed."})

            def _page(self, items: List[Dict[str, Any]], query: Dict[str, str]) -> Dict[str, Any]:
                ors = {k[4:]: v for k, v in query.items() if k.startswith("or__")}
                ands = {k: v for k, v in query.items() if not k.startswith("or__") and k not in ("page", "page_size", "order_by")}
                def matches(item):
                    if ors and not any(str(item.get(k)) == v for k, v in ors.items()):
                        return False
                    return all(str(item.get(k)) == v for k, v in ands.items())
                results = [i for i in items if matches(i)]
                return {"count": len(results), "next": None, "previous": None, "results": results}

            def _collection(self, method: str, collection: str, query: Dict[str, str]) -> None:
                if method == "GET":
                    items = [awx.render(collection, o) for o in awx.objects[collection].values()]
                    return self._send(200, self._page(items, query))
                if method == "POST":
                    data = self._body()
                    error = awx.validate(collection, data)
                    if error:
                        return self._send(400, error)
                    name_field = "identifier" if collection == "workflow_job_template_nodes" else "name"
                    scope = {k: data.get(k) for k in ("organization", "workflow_job_template", "inventory") if k in data}
                    if any(o.get(name_field) == data.get(name_field) and all(o.get(k) == v for k, v in scope.items())
                           for o in awx.objects[collection].values()):
                        return self._send(400, {"__all__": [f"{TYPES[collection]} with this {name_field} already exists."]})
                    created = awx.create(collection, data)
                    if collection == "projects":
                        update = awx.create("project_updates", {"name": data["name"], "status": "successful", "finished": True,
                                                                 "failed": False, "scm_revision": "0" * 40, "project": created["id"]})
                        awx.objects["projects"][created["id"]]["summary_fields"] = {"current_update": {"id": update["id"]}}
                        awx.objects["projects"][created["id"]]["scm_revision"] = ""
                        created = awx.render(collection, awx.objects["projects"][created["id"]])
                    return self._send(201, created)
                return self._send(405, {"detail": "Method not allowed."})

            def _object(self, method: str, collection: str, oid: int) -> None:
                obj = awx.objects[collection][oid]
                if method == "GET":
                    return self._send(200, awx.render(collection, obj))
                if method == "PATCH":
                    data = self._body()
                    error = awx.validate(collection, {**obj, **data})
                    if error:
                        return self._send(400, error)
                    updated = {**obj, **data}
                    if collection == "credentials":
                        updated = awx._store_secrets(oid, updated, data)
                    awx.objects[collection][oid] = updated
                    return self._send(200, awx.render(collection, updated))
                if method == "DELETE":
                    del awx.objects[collection][oid]
                    return self._send(204)
                return self._send(405, {"detail": "Method not allowed."})

            def _sub(self, method: str, collection: str, oid: int, sub: str) -> None:
                if sub == "survey_spec":
                    key = (collection, oid)
                    if method == "GET":
                        return self._send(200, awx.surveys.get(key, {}))
                    if method == "POST":
                        spec = self._body()
                        error = awx.validate_survey(spec)
                        if error:
                            return self._send(400, {"error": error})
                        awx.surveys[key] = spec
                        return self._send(200)
                    if method == "DELETE":
                        awx.surveys.pop(key, None)
                        return self._send(200)
                if sub in ASSOCIATIONS:
                    key = (collection, oid, sub)
                    if method == "GET":
                        return self._send(200, self._page(awx.associated(collection, oid, sub), {}))
                    if method == "POST":
                        data = self._body()
                        ids = awx.links.setdefault(key, [])
                        if data.get("disassociate"):
                            ids.remove(int(data["id"]))
                        elif int(data["id"]) not in ids:
                            ids.append(int(data["id"]))
                        return self._send(204)
                return self._send(404, {"detail": "Not found."})

        return Handler
