"""Instance templates, global (``instanceTemplates``) and regional (``regionInstanceTemplates``).

Templates are immutable in GCE (no patch/update). Their instances' labels follow GCE's label
rules (``store.check_labels``). Delete is refused with 400
``resourceInUseByAnotherResource`` while a managed instance group references the template.
"""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from .crud import Collection, Mutation
from .errors import in_use, invalid
from .store import Store, check_labels, short


class InstanceTemplates:
    def __init__(self, store: Store) -> None:
        self.store = store
        common: dict[str, Any] = {
            "collection": "instanceTemplates",
            "message": compute_v1.InstanceTemplate,
            "list_message": compute_v1.InstanceTemplateList,
            "kind": "compute#instanceTemplate",
            "name_field": "instance_template",
            "body_field": "instance_template_resource",
        }
        self.global_ = Collection(store, regional=False, **common)
        self.regional = Collection(store, regional=True, **common)

    def _insert(
        self, collection: Collection[compute_v1.InstanceTemplate], request: Any
    ) -> Mutation:
        template = collection.body(request)
        if "properties" not in template:
            raise invalid("Required field 'resource.properties' not specified")
        if not template.properties.machine_type:
            raise invalid("Required field 'resource.properties.machineType' not specified")
        check_labels(dict(template.properties.labels), "resource.properties.labels")
        return collection.insert(request, template)

    def _delete(
        self, collection: Collection[compute_v1.InstanceTemplate], request: Any
    ) -> Mutation:
        def refuse_if_used(template: compute_v1.InstanceTemplate) -> None:
            for resource in self.store.resources.values():
                if isinstance(resource, compute_v1.InstanceGroupManager):
                    used = {resource.instance_template} | {
                        v.instance_template for v in resource.versions
                    }
                    if template.self_link in used:
                        raise in_use(
                            "instance_template",
                            short(template.self_link),
                            short(resource.self_link),
                        )

        return collection.delete(request, refuse_if_used)

    def handlers(self) -> dict[str, Any]:
        g, r = self.global_, self.regional
        return {
            "instanceTemplates.insert": lambda req, keys: self._insert(g, req),
            "instanceTemplates.get": lambda req, keys: g.get(req),
            "instanceTemplates.list": lambda req, keys: g.list(req),
            "instanceTemplates.delete": lambda req, keys: self._delete(g, req),
            "regionInstanceTemplates.insert": lambda req, keys: self._insert(r, req),
            "regionInstanceTemplates.get": lambda req, keys: r.get(req),
            "regionInstanceTemplates.list": lambda req, keys: r.list(req),
            "regionInstanceTemplates.delete": lambda req, keys: self._delete(r, req),
        }
